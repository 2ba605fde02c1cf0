// A finetune run for the workbench (see finetune_job.h).
#include "jobs/finetune_job.h"

#include <cstdio>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "common/error.h"
#include "jobs/cli_words.h"
#include "model/model_loader.h"
#include "quant/load_quantized.h"
#include "quant/quantize_model.h"
#include "runs/run_recorder.h"
#include "runtime/runtime.h"
#include "train/alpaca_data.h"
#include "train/trainer.h"

#ifdef IRQ_TORCH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace fs = std::filesystem;

namespace irq {

bool cuda_device_available() { return torch::cuda::is_available(); }

int cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

std::string cuda_device_name() {
#ifdef IRQ_TORCH_CUDA
  cudaDeviceProp prop{};
  if (cuda_device_available() && cudaGetDeviceProperties(&prop, 0) == cudaSuccess) return prop.name;
#endif
  return cuda_device_available() ? "CUDA device 0" : "";
}

std::vector<std::string> finetune_cli_args(const FinetuneRequest& r) {
  const auto num = cli_number;
  std::vector<std::string> a = {r.model_dir.string(), "--data", r.data_file.string(), "--out", r.out_dir.string()};
  if (!r.quant.empty()) {
    a.insert(a.end(), {"--quant", r.quant, "--quant-group", std::to_string(r.quant_group)});
    if (!r.icq) a.emplace_back("--no-icq");
    const auto gptq = gptq_cli_args(r.gptq);
    a.insert(a.end(), gptq.begin(), gptq.end());
    if (r.qa_lora) a.emplace_back("--qa-lora");
  }
  a.emplace_back(r.iec ? "--iec" : "--no-iec");
  a.insert(a.end(), {"--rank", std::to_string(r.rank), "--alpha", num(r.alpha), "--steps", std::to_string(r.steps), "--batch",
                     std::to_string(r.batch), "--accum", std::to_string(r.accum), "--lr", num(r.lr), "--device", r.device, "--seed",
                     std::to_string(r.seed)});
  if (r.nproc > 1) a.insert(a.end(), {"--nproc", std::to_string(r.nproc)});
  return a;
}

std::vector<std::string> validate(const FinetuneRequest& r) {
  std::vector<std::string> out;
  std::error_code ec;
  if (r.model_dir.empty() || !fs::exists(r.model_dir / "config.json", ec)) out.push_back("open a model first (no config.json)");
  if (r.data_file.empty()) out.push_back("choose an Alpaca JSON/JSONL data file");
  else if (!fs::is_regular_file(r.data_file, ec)) out.push_back("data file " + r.data_file.string() + " does not exist");
  if (r.out_dir.empty()) out.push_back("choose an output folder");
  if (r.rank < 1) out.push_back("rank must be at least 1");
  if (r.steps < 1 || r.batch < 1 || r.accum < 1) out.push_back("steps, batch and accumulation must be at least 1");
  if (!(r.lr > 0)) out.push_back("learning rate must be positive");
  if (!(r.alpha > 0)) out.push_back("alpha must be positive");
  if (!r.quant.empty()) {
    try {
      auto q = QuantSettings::for_method(r.quant);
      q.block_size = r.quant_group;
      q.icq = r.icq;
      q.gptq = r.gptq;
      q.validate();
    } catch (const Error& e) {
      out.push_back(e.what());
    }
  }
  if (r.qa_lora && (r.quant.rfind("int", 0) != 0 || r.quant_group < 1))
    out.push_back("QA-LoRA needs an INT base with groups (its adapter merges into the groups' zero points)");
  try {
    if (parse_device(r.device).is_cuda() && r.nproc > cuda_device_count())
      out.push_back("data parallel over " + std::to_string(r.nproc) + " ranks needs as many GPUs; this machine has " +
                    std::to_string(cuda_device_count()));
  } catch (const Error& e) {
    out.push_back(e.what());
  }
  if (r.nproc < 1) out.push_back("the number of data-parallel ranks must be at least 1");
  return out;
}

namespace {

class Forward final : public MetricsSink {
 public:
  Forward(int64_t steps, RunRecorder* rec, std::vector<FinetunePoint>* points, const std::function<void(const FinetunePoint&)>& fn)
      : steps_(steps), rec_(rec), points_(points), fn_(fn) {}
  void on_step(const TrainMetrics& m) override {
    const FinetunePoint p{m.step, steps_, m.loss, m.lr, m.grad_norm, m.tokens_per_second, m.memory_mb, {}};
    points_->push_back(p);
    rec_->metrics(m.step, {{"loss", m.loss}, {"lr", m.lr}, {"grad_norm", m.grad_norm},
                           {"tokens_per_second", m.tokens_per_second}, {"memory_mb", m.memory_mb},
                           {"tokens", static_cast<double>(m.tokens)}});
    if (fn_) fn_(p);
  }

 private:
  int64_t steps_;
  RunRecorder* rec_;
  std::vector<FinetunePoint>* points_;
  const std::function<void(const FinetunePoint&)>& fn_;
};

}  // namespace

FinetuneOutcome run_finetune(const FinetuneRequest& r, const std::function<void(const FinetunePoint&)>& on_step,
                             const CancelToken* cancel) {
  if (const auto problems = validate(r); !problems.empty()) throw make_error(ErrorKind::kUsage, "finetune", problems.front());
  if (r.nproc > 1)
    throw make_error(ErrorKind::kUsage, "finetune", "data-parallel ranks run through the irqlora CLI (finetune --nproc), not in this process");
  init_runtime();
  FinetuneOutcome outcome;
  LoadOptions lo;
  lo.device = parse_device(r.device);
  lo.require_tokenizer = true;
  lo.cancel = cancel;
  outcome.device = lo.device.str();
  nlohmann::json quant = nullptr;
  ModelQuantOptions q;
  if (!r.quant.empty()) {
    q.settings = QuantSettings::for_method(r.quant);
    q.settings.block_size = r.quant_group;
    q.settings.icq = r.icq;
    q.settings.gptq = r.gptq;
    q.cancel = cancel;
    quant = q.settings.to_json();
  }
  // Quantize on load: the full-precision model never exists.
  auto loaded = r.quant.empty() ? load_model(r.model_dir, lo) : load_quantized(r.model_dir, lo, q);
  LoraConfig lora;
  lora.rank = r.rank;
  lora.alpha = r.alpha;
  lora.iec = r.iec;
  lora.seed = r.seed;
  lora.qa_group = r.qa_lora ? r.quant_group : 0;
  add_lora(loaded.model, lora);
  TrainConfig c;
  c.steps = r.steps;
  c.batch = r.batch;
  c.accum = r.accum;
  c.lr = r.lr;
  c.seed = r.seed;
  std::vector<TrainExample> examples;
  for (const auto& rec : load_alpaca(r.data_file))
    examples.push_back(tokenize_example(rec, loaded.require_tokenizer(), c.source_max_len, c.target_max_len));

  const nlohmann::json config = {{"data", r.data_file.string()}, {"steps", c.steps}, {"batch", c.batch}, {"accum", c.accum},
                                 {"lr", c.lr}, {"rank", lora.rank}, {"alpha", lora.alpha}, {"iec", lora.iec},
                                 {"quant", quant}, {"seed", c.seed}, {"schedule", c.schedule}, {"front_end", "workbench"},
                                 {"qa_lora_group", lora.qa_group}};
  RunRecorder rec(r.db_path, "finetune", r.model_dir, config, outcome.device);
  outcome.run_id = rec.id();
  rec.record([&] {
    Forward sink(c.steps, &rec, &outcome.points, on_step);
    Trainer trainer(loaded.model, std::move(examples), c, &sink);
    trainer.run(0, cancel);
    outcome.adapter = r.out_dir / "adapter";
    save_adapter(outcome.adapter, loaded.model, lora, fs::absolute(r.model_dir).string(), quant);
    rec.artifact("adapter", outcome.adapter);
  });
  return outcome;
}

}  // namespace irq
