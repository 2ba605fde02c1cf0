// irqlora finetune MODEL_DIR --data FILE [--recipe ir-qlora|qlora]
//   [--quant nf4|int2|...] [--icq|--no-icq] [--iec|--no-iec] --steps N
//   --batch B --accum K --lr 2e-4 --rank 64 --alpha 16 [--lora-dropout P]
//   [--holdout N --eval-every K] --out DIR [--resume] [--save-every N]
//   [--nproc N] (data parallel; or started by torchrun / srun)
// The options become a FinetuneRequest and the finetune job runs it
// (jobs/finetune_job.h: the workbench runs the same); this verb prints what
// the job reports (a progress line per step, held-out losses, the work's
// size) and streams it as --progress jsonl events.
#include <chrono>
#include <cstdio>
#include <string>

#include "cli/data_parallel.h"
#include "cli/event_stream.h"
#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/recipe_args.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "jobs/finetune_job.h"
#include "quant/model_quantizer.h"
#include "jobs/cli_words.h"
#include "runtime/runtime.h"

namespace irq::cli {

namespace fs = std::filesystem;

namespace {

// The step line on the terminal (or the progress events of --progress
// jsonl), with an estimate from the steps this process ran once 3 have.
class StepLine {
 public:
  explicit StepLine(int64_t steps) : steps_(steps) {}
  void on_step(const FinetunePoint& p) {
    const auto now = std::chrono::steady_clock::now();
    if (first_step_ < 0) {
      first_step_ = p.step;
      t0_ = now;
    }
    if (events::enabled()) return events::progress("train", p.step, steps_);  // instead of the step line
    char eta[48] = "";
    const int64_t timed = p.step - first_step_;
    if (timed >= 2) {
      const double per_step = std::chrono::duration<double>(now - t0_).count() / static_cast<double>(timed);
      std::snprintf(eta, sizeof eta, "  eta %.0f s", per_step * static_cast<double>(steps_ - p.step));
    }
    std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  grad %.3f  %.0f tok/s  %.0f MiB%s ", (long long)p.step,
                 (long long)steps_, p.loss, p.lr, p.grad_norm, p.tokens_per_second, p.memory_mb, eta);
    if (p.step == steps_) std::fprintf(stderr, "\n");
  }

 private:
  int64_t steps_;
  int64_t first_step_ = -1;
  std::chrono::steady_clock::time_point t0_;
};

// The command line as a request: the options' words, nothing else.
FinetuneRequest request_of(const ParsedArgs& args) {
  if (args.flag("iec") && args.flag("no-iec")) throw Error(ErrorKind::kUsage, "--iec and --no-iec exclude each other");
  if (args.flag("icq") && args.flag("no-icq")) throw Error(ErrorKind::kUsage, "--icq and --no-icq exclude each other");
  FinetuneRequest r;
  r.model_dir = args.positional.at(0);
  r.data_file = args.str("data");
  r.out_dir = args.str("out");
  r.db_path = record_db_path(args);
  r.device = args.str("device");
  if (args.has("dtype")) r.dtype = args.str("dtype");
  if (args.has("quant")) r.quant = args.str("quant");
  r.quant_group = args.integer("quant-group");
  r.icq = !args.flag("no-icq") && !args.flag("quant-no-icq");
  r.gptq = gptq_from_args(args);
  r.qa_lora = args.flag("qa-lora");
  if (r.qa_lora && (r.quant.rfind("int", 0) != 0 || r.quant_group < 1))
    throw Error(ErrorKind::kUsage,
                "--qa-lora needs an INT base with groups (--quant int2|int3|int4|int8 --quant-group G): its adapter "
                "merges into the groups' zero points");
  r.lora.rank = args.integer("rank");
  r.lora.alpha = args.number("alpha");
  r.lora.iec = !args.flag("no-iec");
  r.lora.dropout = args.number("lora-dropout");
  r.lora.targets = parse_targets(args.str("targets"));
  TrainConfig& c = r.train;
  c.steps = args.integer("steps");
  c.batch = args.integer("batch");
  c.accum = args.integer("accum");
  c.lr = args.number("lr");
  c.schedule = args.str("schedule");
  c.warmup_ratio = args.number("warmup-ratio");
  c.max_grad_norm = args.number("max-grad-norm");
  c.seed = static_cast<uint64_t>(args.integer("seed"));
  c.source_max_len = args.integer("source-max-len");
  c.target_max_len = args.integer("target-max-len");
  c.optimizer_offload = args.flag("optimizer-offload");
  c.dist_check_every = args.integer("dist-check-every");
  const std::string checkpointing = args.str("gradient-checkpointing");
  if (checkpointing != "auto" && checkpointing != "on" && checkpointing != "off")
    throw Error(ErrorKind::kUsage, "--gradient-checkpointing must be on, off or auto");
  c.gradient_checkpointing = checkpointing == "auto" ? -1 : checkpointing == "on" ? 1 : 0;
  r.holdout = args.integer("holdout");
  r.eval_rows = args.integer("eval-rows");
  r.eval_every = args.integer("eval-every");
  r.save_every = args.integer("save-every");
  r.resume = args.flag("resume");
  r.tf32 = args.flag("tf32");
  if (args.has("recipe")) r.recipe = args.str("recipe");
  r.front_end = "cli";
  return r;
}

int run_finetune_verb(const ParsedArgs& given) {
  const ParsedArgs recipe_args = apply_recipe(given);
  if (!recipe_args.has("data")) throw Error(ErrorKind::kUsage, "--data FILE (Alpaca JSON or JSONL) is required");
  if (!recipe_args.has("out")) throw Error(ErrorKind::kUsage, "--out DIR is required");
  if (launches_ranks(recipe_args)) {
    launch_ranks(recipe_args, "finetune");
    return 0;
  }
  // A data-parallel rank: its GPU, and rank 0 alone records and prints.
  const DistEnv env = dist_env();
  const ParsedArgs args = env.distributed() ? rank_args(recipe_args, env) : recipe_args;
  const FinetuneRequest r = request_of(args);
  init_runtime();
  // the rendezvous before the model loads: a missing rank or a taken port fails at once
  const auto group = env.distributed() ? join_group(args, env, parse_device(r.device)) : nullptr;
  ProgressBar bar;
  StepLine steps(r.train.steps);
  FinetuneEvents ev;
  ev.run = cli_run_events(&bar);
  ev.load_progress = &bar;
  ev.on_step = [&](const FinetunePoint& p) { steps.on_step(p); };
  const FinetuneOutcome out = run_finetune(r, ev, /*cancel=*/nullptr, group.get());
  if (env.rank != 0) return 0;
  const auto& l = out.losses;
  std::printf("finetuned %lld steps: loss %.4f -> %.4f; adapter %s\n", (long long)out.steps_done, l.empty() ? 0.0 : l.front(),
              l.empty() ? 0.0 : l.back(), out.adapter.c_str());
  return 0;
}

}  // namespace

Verb finetune_verb() {
  VerbSpec spec{"finetune", "MODEL_DIR", "LoRA / IEC-LoRA finetuning on a frozen (quantized) base", {}, 1, 1};
  // Defaults are the request's (train/train_config.h), written as the options take them.
  const FinetuneRequest d;
  const auto integer = [](int64_t v) { return std::to_string(v); };
  spec.options = {{"data", "FILE", "Alpaca JSON or JSONL (instruction, input, output)", ""},
                  {"out", "DIR", "checkpoints and the adapter", ""},
                  {"icq", "", "information calibration of the base (the default with --quant)", ""},
                  {"no-icq", "", "plain quantization of the base", ""},
                  {"iec", "", "IEC-LoRA (the default)", ""},
                  {"no-iec", "", "plain LoRA", ""},
                  {"qa-lora", "", "QA-LoRA: lora_A over the sums of the INT base's groups (merges exactly into its zero points)", ""},
                  {"rank", "R", "LoRA rank", integer(d.lora.rank)},
                  {"alpha", "A", "LoRA alpha (scaling alpha / rank)", cli_number(d.lora.alpha)},
                  {"targets", "LIST", "projections: all or e.g. q,k,v,o,gate,up,down", "all"},
                  {"steps", "N", "optimizer steps", integer(d.train.steps)},
                  {"batch", "B", "sequences per micro-batch", integer(d.train.batch)},
                  {"accum", "K", "gradient accumulation steps", integer(d.train.accum)},
                  {"lr", "LR", "learning rate", cli_number(d.train.lr)},
                  {"schedule", "S", "constant or cosine", d.train.schedule},
                  {"warmup-ratio", "R", "linear warmup over this fraction of the steps (the reference: none)", cli_number(d.train.warmup_ratio)},
                  {"max-grad-norm", "N", "gradient clipping norm", cli_number(d.train.max_grad_norm)},
                  {"lora-dropout", "P", "dropout on the LoRA input while training (IEC paths see the undropped input)", cli_number(d.lora.dropout)},
                  {"holdout", "N", "rows held out for evaluation, as datasets' train_test_split(seed=42)", "0"},
                  {"eval-rows", "N", "evaluate on the first N held-out rows (0: all)", "0"},
                  {"eval-every", "K", "held-out loss every K steps (always at the end with --holdout)", "0"},
                  {"tf32", "", "float32 matmuls in TF32 on CUDA (as the reference)", ""},
                  {"recipe", "NAME", "preset of the reference: ir-qlora or qlora (options given win; printed)", ""},
                  {"seed", "S", "seed of LoRA init and data order", std::to_string(d.train.seed)},
                  {"source-max-len", "N", "prompt tokens kept", integer(d.train.source_max_len)},
                  {"target-max-len", "N", "response tokens kept", integer(d.train.target_max_len)},
                  {"save-every", "N", "checkpoint every N steps (0: at the end)", "0"},
                  {"gradient-checkpointing", "MODE", "recompute decoder layers in backward: on, off, auto (on for CUDA)", "auto"},
                  {"optimizer-offload", "", "AdamW moments in host memory, streamed through the GPU in chunks (as paged AdamW under pressure)", ""},
                  {"resume", "", "continue from the latest OUT/checkpoint-N (with or without --optimizer-offload)", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  for (auto& o : data_parallel_options()) spec.options.push_back(o);
  return {spec, &run_finetune_verb};
}

}  // namespace irq::cli
