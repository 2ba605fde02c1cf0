// irqlora finetune MODEL_DIR --data FILE [--recipe ir-qlora|qlora]
//   [--quant nf4|int2|...] [--icq|--no-icq] [--iec|--no-iec] --steps N
//   --batch B --accum K --lr 2e-4 --rank 64 --alpha 16 [--lora-dropout P]
//   [--holdout N --eval-every K] --out DIR [--resume] [--save-every N]
//   [--nproc N] (data parallel; or started by torchrun / srun)
// LoRA / IEC-LoRA on a frozen (quantized) base with a progress line per step,
// checkpoints in OUT/checkpoint-N, the adapter in OUT/adapter; recorded in the
// runs database with the loss curve.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "cli/data_parallel.h"
#include "cli/event_stream.h"
#include "cli/memory_check.h"
#include "cli/model_options.h"
#include "cli/recipe_args.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "quant/model_quantizer.h"
#include "runtime/runtime.h"
#include "train/holdout.h"
#include "train/trainer.h"

namespace irq::cli {

namespace fs = std::filesystem;

namespace {

class PrintAndRecord final : public MetricsSink {
 public:
  PrintAndRecord(RunRecorder& rec, int64_t steps, bool print) : rec_(rec), steps_(steps), print_(print) {}
  void on_step(const TrainMetrics& m) override {
    if (!print_) return;  // a data-parallel rank other than 0: rank 0 reports the job
    // The estimate from the steps of this process (after a resume, the first one run here), once 3 have run.
    const auto now = std::chrono::steady_clock::now();
    if (first_step_ < 0) {
      first_step_ = m.step;
      t0_ = now;
    }
    std::map<std::string, double> values = {{"loss", m.loss}, {"lr", m.lr}, {"grad_norm", m.grad_norm},
                                            {"tokens_per_second", m.tokens_per_second}, {"memory_mb", m.memory_mb},
                                            {"tokens", static_cast<double>(m.tokens)}};
    for (size_t r = 0; r < m.rank_tokens_per_second.size(); ++r)  // data parallel: each rank's own
      values["tokens_per_second_rank" + std::to_string(r)] = m.rank_tokens_per_second[r];
    rec_.metrics(m.step, values);
    if (events::enabled()) return events::progress("train", m.step, steps_);  // instead of the step line
    char eta[48] = "";
    const int64_t timed = m.step - first_step_;
    if (timed >= 2) {
      const double per_step = std::chrono::duration<double>(now - t0_).count() / static_cast<double>(timed);
      std::snprintf(eta, sizeof eta, "  eta %.0f s", per_step * static_cast<double>(steps_ - m.step));
    }
    std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  grad %.3f  %.0f tok/s  %.0f MiB%s ", (long long)m.step,
                 (long long)steps_, m.loss, m.lr, m.grad_norm, m.tokens_per_second, m.memory_mb, eta);
    if (m.step == steps_) std::fprintf(stderr, "\n");
  }

 private:
  RunRecorder& rec_;
  int64_t steps_;
  bool print_;
  int64_t first_step_ = -1;
  std::chrono::steady_clock::time_point t0_;
};

fs::path latest_checkpoint(const fs::path& out) {
  fs::path best;
  int64_t best_step = -1;
  if (!fs::is_directory(out)) return best;
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("checkpoint-", 0) != 0 || n.find(".tmp-") != std::string::npos) continue;
    const int64_t step = std::atoll(n.c_str() + 11);
    if (step > best_step) {
      best_step = step;
      best = e.path();
    }
  }
  return best;
}

int run_finetune(const ParsedArgs& given) {
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
  const bool lead = env.rank == 0;
  if (args.flag("iec") && args.flag("no-iec")) throw Error(ErrorKind::kUsage, "--iec and --no-iec exclude each other");
  if (args.flag("icq") && args.flag("no-icq")) throw Error(ErrorKind::kUsage, "--icq and --no-icq exclude each other");
  const fs::path out = args.str("out");
  TrainConfig c;
  c.steps = args.integer("steps");
  c.batch = args.integer("batch");
  c.accum = args.integer("accum");
  c.lr = args.number("lr");
  c.warmup_ratio = args.number("warmup-ratio");
  c.max_grad_norm = args.number("max-grad-norm");
  if (!(c.warmup_ratio >= 0 && c.warmup_ratio <= 1)) throw Error(ErrorKind::kUsage, "--warmup-ratio must be in [0, 1]");
  if (!(c.max_grad_norm > 0)) throw Error(ErrorKind::kUsage, "--max-grad-norm must be > 0");
  c.schedule = args.str("schedule");
  c.seed = static_cast<uint64_t>(args.integer("seed"));
  c.source_max_len = args.integer("source-max-len");
  c.target_max_len = args.integer("target-max-len");
  c.optimizer_offload = args.flag("optimizer-offload");
  c.dist_check_every = args.integer("dist-check-every");
  if (c.dist_check_every < 0) throw Error(ErrorKind::kUsage, "--dist-check-every must be >= 0");
  if (args.str("gradient-checkpointing") != "auto") c.gradient_checkpointing = args.str("gradient-checkpointing") == "on" ? 1 : 0;
  LoraConfig lora;
  lora.rank = args.integer("rank");
  lora.alpha = args.number("alpha");
  lora.iec = !args.flag("no-iec");
  lora.dropout = args.number("lora-dropout");
  if (!(lora.dropout >= 0 && lora.dropout < 1)) throw Error(ErrorKind::kUsage, "--lora-dropout must be in [0, 1)");
  lora.targets = parse_targets(args.str("targets"));
  lora.seed = c.seed;
  if (args.flag("qa-lora")) {
    const std::string q = args.has("quant") ? args.str("quant") : "";
    if (q.rfind("int", 0) != 0 || args.integer("quant-group") < 1)
      throw Error(ErrorKind::kUsage,
                  "--qa-lora needs an INT base with groups (--quant int2|int3|int4|int8 --quant-group G): its adapter "
                  "merges into the groups' zero points");
    lora.qa_group = args.integer("quant-group");
  }
  const int64_t save_every = args.integer("save-every"), eval_every = args.integer("eval-every");
  const int64_t holdout = args.integer("holdout"), eval_rows = args.integer("eval-rows");
  if (save_every < 0 || eval_every < 0 || eval_rows < 0)
    throw Error(ErrorKind::kUsage, "--save-every, --eval-every and --eval-rows must be >= 0");
  if (eval_every > 0 && holdout == 0) throw Error(ErrorKind::kUsage, "--eval-every needs held-out rows (--holdout N)");

  const auto all_records = load_alpaca(args.str("data"));
  const HoldoutSplit split = holdout_split(all_records.size(), holdout, /*seed=*/42, args.str("data"));
  std::remove_const_t<decltype(all_records)> records, eval_records;
  for (size_t i : split.train) records.push_back(all_records[i]);
  for (size_t i : split.eval)
    if (eval_rows == 0 || static_cast<int64_t>(eval_records.size()) < eval_rows) eval_records.push_back(all_records[i]);
  {  // the predicted peak before anything is loaded; refused when the GPU is too small
    MemoryPlanRequest plan;
    plan.model_dir = args.positional.at(0);
    if (args.has("quant")) plan.quant = args.str("quant");
    plan.quant_group = args.integer("quant-group");
    plan.icq = !args.flag("no-icq");
    plan.rank = lora.rank;
    plan.iec = lora.iec;
    plan.targets = lora.targets;
    plan.batch = c.batch;
    plan.seq = c.source_max_len + c.target_max_len;
    const auto device = parse_device(args.str("device"));
    plan.optimizer_offload = c.optimizer_offload;
    plan.checkpointing = c.gradient_checkpointing == 1 || (c.gradient_checkpointing < 0 && device.is_cuda());
    plan.dtype_bytes = args.has("dtype") ? static_cast<int>(torch::elementSize(parse_dtype(args.str("dtype"))))
                                           : device.is_cuda() ? 2 : 4;
    check_memory_plan(plan, device, "finetune", /*print=*/lead);
  }
  if (args.flag("tf32")) allow_tf32_matmul(true);
  // the rendezvous before the model loads: a missing rank or a taken port fails at once
  const auto group = env.distributed() ? join_group(args, env, parse_device(args.str("device"))) : nullptr;
  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  const nlohmann::json quant = quantize_for_cli(loaded, args);
  add_lora(loaded.model, lora);
  std::vector<TrainExample> examples;
  for (const auto& r : records) examples.push_back(tokenize_example(r, loaded.require_tokenizer(), c.source_max_len, c.target_max_len));
  std::vector<TrainExample> eval_examples;
  for (const auto& r : eval_records)
    eval_examples.push_back(tokenize_example(r, loaded.require_tokenizer(), c.source_max_len, c.target_max_len));
  nlohmann::json config = {{"data", args.str("data")}, {"steps", c.steps},  {"batch", c.batch}, {"accum", c.accum},
                           {"lr", c.lr},                {"rank", lora.rank}, {"alpha", lora.alpha}, {"iec", lora.iec},
                           {"quant", quant},            {"seed", c.seed},    {"schedule", c.schedule},
                           {"warmup_ratio", c.warmup_ratio}, {"max_grad_norm", c.max_grad_norm},
                           {"lora_dropout", lora.dropout}, {"targets", lora.targets}, {"qa_lora_group", lora.qa_group},
                           {"source_max_len", c.source_max_len}, {"target_max_len", c.target_max_len},
                           {"holdout", holdout}, {"eval_rows", static_cast<int64_t>(eval_examples.size())},
                           {"recipe", args.has("recipe") ? nlohmann::json(args.str("recipe")) : nlohmann::json(nullptr)},
                           {"tf32", args.flag("tf32")}, {"optimizer_offload", c.optimizer_offload},
                           {"world_size", env.world}, {"global_batch", c.batch * c.accum * env.world}};
  if (lead) {  // the size of the work before it starts
    int64_t tokens = 0;
    for (const auto& e : examples) tokens += static_cast<int64_t>(e.input_ids.size());
    const int64_t global = c.steps * c.batch * c.accum * env.world;
    const double epochs = static_cast<double>(global) / static_cast<double>(std::max<size_t>(1, examples.size()));
    const std::string ranks = env.distributed() ? " x " + std::to_string(env.world) + " ranks (" + group->backend() + ")" : "";
    std::fprintf(stderr, "finetune: %lld steps x batch %lld%s x accum %lld = %lld examples (%.2f epochs of %zu rows, %lld tokens per epoch)\n",
                 (long long)c.steps, (long long)c.batch, ranks.c_str(), (long long)c.accum, (long long)global, epochs, examples.size(),
                 (long long)tokens);
  }
  RunRecorder rec(args, "finetune", args.positional[0], config, loaded.model->options().device().str());
  return rec.record([&] {
    try {
      PrintAndRecord sink(rec, c.steps, lead);
      Trainer trainer(loaded.model, std::move(examples), c, &sink, group.get());
      if (args.flag("resume")) {
        const fs::path ckpt = latest_checkpoint(out);
        if (ckpt.empty()) throw make_error(ErrorKind::kNotFound, out.string(), "no checkpoint-N folder to resume from");
        trainer.load_checkpoint(ckpt);
        if (lead) std::fprintf(stderr, "resumed from %s (step %lld)\n", ckpt.c_str(), (long long)trainer.step());
      }
      fs::create_directories(out);
      auto next_multiple = [&](int64_t every) {
        return every > 0 ? std::min(c.steps, (trainer.step() / every + 1) * every) : c.steps;
      };
      while (trainer.step() < c.steps) {
        trainer.run(std::min(next_multiple(save_every), next_multiple(eval_every)));
        const int64_t step = trainer.step();
        if (!eval_examples.empty() && (step == c.steps || (eval_every > 0 && step % eval_every == 0))) {
          const double eval_loss = trainer.evaluate(eval_examples);
          if (lead) std::fprintf(stderr, "step %lld: eval loss %.4f on %zu held-out rows\n", (long long)step, eval_loss, eval_examples.size());
          rec.metrics(step, {{"eval_loss", eval_loss}});
        }
        if (lead && (step == c.steps || (save_every > 0 && step % save_every == 0))) {
          const fs::path ckpt = out / ("checkpoint-" + std::to_string(step));
          trainer.save_checkpoint(ckpt);
          rec.artifact("checkpoint", ckpt);
        }
      }
      if (!lead) return 0;
      save_adapter(out / "adapter", loaded.model, lora, fs::absolute(args.positional[0]).string(), quant);
      rec.artifact("adapter", out / "adapter");
      const auto& l = trainer.losses();
      std::printf("finetuned %lld steps: loss %.4f -> %.4f; adapter %s\n", (long long)trainer.step(), l.empty() ? 0.0 : l.front(),
                  l.empty() ? 0.0 : l.back(), (out / "adapter").c_str());
      return 0;
    } catch (const std::exception& e) {
      if (group) group->announce_failure(e.what());  // the other ranks' errors name this one
      throw;
    }
  });
}

}  // namespace

Verb finetune_verb() {
  VerbSpec spec{"finetune", "MODEL_DIR", "LoRA / IEC-LoRA finetuning on a frozen (quantized) base", {}, 1, 1};
  spec.options = {{"data", "FILE", "Alpaca JSON or JSONL (instruction, input, output)", ""},
                  {"out", "DIR", "checkpoints and the adapter", ""},
                  {"icq", "", "information calibration of the base (the default with --quant)", ""},
                  {"no-icq", "", "plain quantization of the base", ""},
                  {"iec", "", "IEC-LoRA (the default)", ""},
                  {"no-iec", "", "plain LoRA", ""},
                  {"qa-lora", "", "QA-LoRA: lora_A over the sums of the INT base's groups (merges exactly into its zero points)", ""},
                  {"rank", "R", "LoRA rank", "64"},
                  {"alpha", "A", "LoRA alpha (scaling alpha / rank)", "16"},
                  {"targets", "LIST", "projections: all or e.g. q,k,v,o,gate,up,down", "all"},
                  {"steps", "N", "optimizer steps", "100"},
                  {"batch", "B", "sequences per micro-batch", "4"},
                  {"accum", "K", "gradient accumulation steps", "1"},
                  {"lr", "LR", "learning rate", "2e-4"},
                  {"schedule", "S", "constant or cosine", "constant"},
                  {"warmup-ratio", "R", "linear warmup over this fraction of the steps (the reference: none)", "0"},
                  {"max-grad-norm", "N", "gradient clipping norm", "0.3"},
                  {"lora-dropout", "P", "dropout on the LoRA input while training (IEC paths see the undropped input)", "0"},
                  {"holdout", "N", "rows held out for evaluation, as datasets' train_test_split(seed=42)", "0"},
                  {"eval-rows", "N", "evaluate on the first N held-out rows (0: all)", "0"},
                  {"eval-every", "K", "held-out loss every K steps (always at the end with --holdout)", "0"},
                  {"tf32", "", "float32 matmuls in TF32 on CUDA (as the reference)", ""},
                  {"recipe", "NAME", "preset of the reference: ir-qlora or qlora (options given win; printed)", ""},
                  {"seed", "S", "seed of LoRA init and data order", "42"},
                  {"source-max-len", "N", "prompt tokens kept", "384"},
                  {"target-max-len", "N", "response tokens kept", "128"},
                  {"save-every", "N", "checkpoint every N steps (0: at the end)", "0"},
                  {"gradient-checkpointing", "MODE", "recompute decoder layers in backward: on, off, auto (on for CUDA)", "auto"},
                  {"optimizer-offload", "", "AdamW moments in host memory, streamed through the GPU in chunks (as paged AdamW under pressure)", ""},
                  {"resume", "", "continue from the latest OUT/checkpoint-N (with or without --optimizer-offload)", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  for (auto& o : data_parallel_options()) spec.options.push_back(o);
  return {spec, &run_finetune};
}

}  // namespace irq::cli
