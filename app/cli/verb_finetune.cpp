// irqlora finetune MODEL_DIR --data FILE [--quant nf4|int2|...] [--icq|--no-icq]
//   [--iec|--no-iec] --steps N --batch B --accum K --lr 2e-4 --rank 64
//   --alpha 16 --out DIR [--resume] [--save-every N] [--device cpu|cuda]
// LoRA / IEC-LoRA on a frozen (quantized) base with a progress line per step,
// checkpoints in OUT/checkpoint-N, the adapter in OUT/adapter; recorded in the
// runs database with the loss curve.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/memory_check.h"
#include "cli/model_options.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "quant/model_quantizer.h"
#include "runtime/runtime.h"
#include "train/trainer.h"

namespace irq::cli {

namespace fs = std::filesystem;

namespace {

class PrintAndRecord final : public MetricsSink {
 public:
  PrintAndRecord(RunRecorder& rec, int64_t steps) : rec_(rec), steps_(steps) {}
  void on_step(const TrainMetrics& m) override {
    std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  grad %.3f  %.0f tok/s  %.0f MiB ", (long long)m.step,
                 (long long)steps_, m.loss, m.lr, m.grad_norm, m.tokens_per_second, m.memory_mb);
    if (m.step == steps_) std::fprintf(stderr, "\n");
    rec_.metrics(m.step, {{"loss", m.loss}, {"lr", m.lr}, {"grad_norm", m.grad_norm},
                          {"tokens_per_second", m.tokens_per_second}, {"memory_mb", m.memory_mb}});
  }

 private:
  RunRecorder& rec_;
  int64_t steps_;
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

int run(const ParsedArgs& args) {
  if (!args.has("data")) throw Error(ErrorKind::kUsage, "--data FILE (Alpaca JSON or JSONL) is required");
  if (!args.has("out")) throw Error(ErrorKind::kUsage, "--out DIR is required");
  if (args.flag("iec") && args.flag("no-iec")) throw Error(ErrorKind::kUsage, "--iec and --no-iec exclude each other");
  if (args.flag("icq") && args.flag("no-icq")) throw Error(ErrorKind::kUsage, "--icq and --no-icq exclude each other");
  const fs::path out = args.str("out");
  TrainConfig c;
  c.steps = args.integer("steps");
  c.batch = args.integer("batch");
  c.accum = args.integer("accum");
  c.lr = args.number("lr");
  c.schedule = args.str("schedule");
  c.seed = static_cast<uint64_t>(args.integer("seed"));
  c.source_max_len = args.integer("source-max-len");
  c.target_max_len = args.integer("target-max-len");
  if (args.str("gradient-checkpointing") != "auto") c.gradient_checkpointing = args.str("gradient-checkpointing") == "on" ? 1 : 0;
  LoraConfig lora;
  lora.rank = args.integer("rank");
  lora.alpha = args.number("alpha");
  lora.iec = !args.flag("no-iec");
  lora.targets = parse_targets(args.str("targets"));
  lora.seed = c.seed;
  const int64_t save_every = args.integer("save-every");

  const auto records = load_alpaca(args.str("data"));
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
    plan.checkpointing = c.gradient_checkpointing == 1 || (c.gradient_checkpointing < 0 && device.is_cuda());
    plan.dtype_bytes = device.is_cuda() ? 2 : 4;
    check_memory_plan(plan, device, "finetune");
  }
  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  const nlohmann::json quant = quantize_for_cli(loaded, args);
  add_lora(loaded.model, lora);
  std::vector<TrainExample> examples;
  for (const auto& r : records) examples.push_back(tokenize_example(r, loaded.require_tokenizer(), c.source_max_len, c.target_max_len));
  nlohmann::json config = {{"data", args.str("data")}, {"steps", c.steps},  {"batch", c.batch}, {"accum", c.accum},
                           {"lr", c.lr},                {"rank", lora.rank}, {"alpha", lora.alpha}, {"iec", lora.iec},
                           {"quant", quant},            {"seed", c.seed},    {"schedule", c.schedule}};
  RunRecorder rec(args, "finetune", args.positional[0], config, loaded.model->options().device().str());
  return rec.record([&] {
    PrintAndRecord sink(rec, c.steps);
    Trainer trainer(loaded.model, std::move(examples), c, &sink);
    if (args.flag("resume")) {
      const fs::path ckpt = latest_checkpoint(out);
      if (ckpt.empty()) throw make_error(ErrorKind::kNotFound, out.string(), "no checkpoint-N folder to resume from");
      trainer.load_checkpoint(ckpt);
      std::fprintf(stderr, "resumed from %s (step %lld)\n", ckpt.c_str(), (long long)trainer.step());
    }
    fs::create_directories(out);
    while (trainer.step() < c.steps) {
      const int64_t next = save_every > 0 ? std::min(c.steps, (trainer.step() / save_every + 1) * save_every) : c.steps;
      trainer.run(next);
      const fs::path ckpt = out / ("checkpoint-" + std::to_string(trainer.step()));
      trainer.save_checkpoint(ckpt);
      rec.artifact("checkpoint", ckpt);
    }
    save_adapter(out / "adapter", loaded.model, lora, fs::absolute(args.positional[0]).string(), quant);
    rec.artifact("adapter", out / "adapter");
    const auto& l = trainer.losses();
    std::printf("finetuned %lld steps: loss %.4f -> %.4f; adapter %s\n", (long long)trainer.step(), l.empty() ? 0.0 : l.front(),
                l.empty() ? 0.0 : l.back(), (out / "adapter").c_str());
    return 0;
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
                  {"rank", "R", "LoRA rank", "64"},
                  {"alpha", "A", "LoRA alpha (scaling alpha / rank)", "16"},
                  {"targets", "LIST", "projections: all or e.g. q,k,v,o,gate,up,down", "all"},
                  {"steps", "N", "optimizer steps", "100"},
                  {"batch", "B", "sequences per micro-batch", "4"},
                  {"accum", "K", "gradient accumulation steps", "1"},
                  {"lr", "LR", "learning rate (3% linear warmup)", "2e-4"},
                  {"schedule", "S", "constant or cosine", "constant"},
                  {"seed", "S", "seed of LoRA init and data order", "42"},
                  {"source-max-len", "N", "prompt tokens kept", "384"},
                  {"target-max-len", "N", "response tokens kept", "128"},
                  {"save-every", "N", "checkpoint every N steps (0: at the end)", "0"},
                  {"gradient-checkpointing", "MODE", "recompute decoder layers in backward: on, off, auto (on for CUDA)", "auto"},
                  {"resume", "", "continue from the latest OUT/checkpoint-N", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run};
}

}  // namespace irq::cli
