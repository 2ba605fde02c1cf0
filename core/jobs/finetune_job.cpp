// The finetune job (see finetune_job.h).
#include "jobs/finetune_job.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "common/error.h"
#include "quant/quant_format.h"
#include "dist/process_group.h"
#include "jobs/cli_words.h"
#include "jobs/job_problems.h"
#include "jobs/memory_check.h"
#include "model/model_loader.h"
#include "quant/load_quantized.h"
#include "quant/model_quantizer.h"
#include "quant/quantize_model.h"
#include "runtime/runtime.h"
#include "train/alpaca_data.h"
#include "train/holdout.h"
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

std::map<std::string, double> FinetunePoint::values() const {
  std::map<std::string, double> v = {{"loss", loss},           {"lr", lr}, {"grad_norm", grad_norm}, {"tokens_per_second", tokens_per_second},
                                     {"memory_mb", memory_mb}, {"tokens", static_cast<double>(tokens)}};
  for (size_t r = 0; r < rank_tokens_per_second.size(); ++r)  // data parallel: each rank's own
    v["tokens_per_second_rank" + std::to_string(r)] = rank_tokens_per_second[r];
  return v;
}

std::optional<FinetunePoint> FinetunePoint::from_values(int64_t step, int64_t steps, const std::map<std::string, double>& v) {
  if (!v.count("loss")) return std::nullopt;
  const auto at = [&](const std::string& k) { return v.count(k) ? v.at(k) : 0.0; };
  FinetunePoint p{step, steps, at("loss"), at("lr"), at("grad_norm"), at("tokens_per_second"), at("memory_mb"),
                  static_cast<int64_t>(at("tokens")), {}};
  for (int r = 0; v.count("tokens_per_second_rank" + std::to_string(r)); ++r) p.rank_tokens_per_second.push_back(at("tokens_per_second_rank" + std::to_string(r)));
  return p;
}

std::vector<std::string> finetune_cli_args(const FinetuneRequest& r) {
  const auto num = cli_number;
  const auto integer = [](int64_t v) { return std::to_string(v); };
  const TrainConfig& t = r.train;
  std::vector<std::string> a = {r.model_dir.string(), "--data", r.data_file.string(), "--out", r.out_dir.string()};
  if (!r.quant.empty()) {
    a.insert(a.end(), {"--quant", r.quant, "--quant-group", integer(r.quant_group)});
    if (!r.icq) a.emplace_back("--no-icq");
    const auto gptq = gptq_cli_args(r.gptq);
    a.insert(a.end(), gptq.begin(), gptq.end());
    if (r.qa_lora) a.emplace_back("--qa-lora");
  }
  a.emplace_back(r.lora.iec ? "--iec" : "--no-iec");
  const auto targets = cli_list_args("--targets", r.lora.targets);
  a.insert(a.end(), targets.begin(), targets.end());
  a.insert(a.end(), {"--rank", integer(r.lora.rank), "--alpha", num(r.lora.alpha), "--lora-dropout", num(r.lora.dropout),
                     "--steps", integer(t.steps), "--batch", integer(t.batch), "--accum", integer(t.accum), "--lr", num(t.lr),
                     "--schedule", t.schedule, "--warmup-ratio", num(t.warmup_ratio), "--max-grad-norm", num(t.max_grad_norm),
                     "--source-max-len", integer(t.source_max_len), "--target-max-len", integer(t.target_max_len),
                     "--seed", std::to_string(t.seed), "--holdout", integer(r.holdout), "--eval-rows", integer(r.eval_rows),
                     "--eval-every", integer(r.eval_every), "--save-every", integer(r.save_every), "--device", r.device,
                     "--gradient-checkpointing", t.gradient_checkpointing < 0 ? "auto" : t.gradient_checkpointing ? "on" : "off"});
  if (!r.dtype.empty()) a.insert(a.end(), {"--dtype", r.dtype});
  if (t.optimizer_offload) a.emplace_back("--optimizer-offload");
  if (r.tf32) a.emplace_back("--tf32");
  if (r.resume) a.emplace_back("--resume");
  if (r.nproc > 1) a.insert(a.end(), {"--nproc", std::to_string(r.nproc)});
  if (t.dist_check_every > 0) a.insert(a.end(), {"--dist-check-every", integer(t.dist_check_every)});
  return a;
}

std::vector<std::string> validate(const FinetuneRequest& r) {
  std::vector<std::string> out;
  std::error_code ec;
  const TrainConfig& t = r.train;
  if (r.model_dir.empty() || !fs::exists(r.model_dir / "config.json", ec))
    out.push_back("model_dir: open a model first (" + (r.model_dir.empty() ? std::string("none") : r.model_dir.string() + " has no config.json") + ")");
  if (r.data_file.empty()) out.push_back("data_file: choose an Alpaca JSON/JSONL data file");
  else if (!fs::exists(r.data_file, ec)) out.push_back("data_file: " + r.data_file.string() + " does not exist");
  if (r.out_dir.empty()) out.push_back("out_dir: choose an output folder");
  if (r.lora.rank < 1) out.push_back("lora.rank: must be at least 1");
  if (!(r.lora.alpha > 0)) out.push_back("lora.alpha: must be positive");
  if (!(r.lora.dropout >= 0 && r.lora.dropout < 1)) out.push_back("lora.dropout: must be in [0, 1)");
  try {
    check_projection_names(r.lora.targets, "lora.targets");
    if (r.lora.targets.empty()) out.push_back("lora.targets: name at least one projection");
  } catch (const Error& e) {
    out.push_back(e.what());
  }
  if (t.steps < 1) out.push_back("train.steps: must be at least 1");
  if (t.batch < 1) out.push_back("train.batch: must be at least 1");
  if (t.accum < 1) out.push_back("train.accum: must be at least 1");
  if (!(t.lr > 0)) out.push_back("train.lr: must be positive");
  if (t.schedule != "constant" && t.schedule != "cosine") out.push_back("train.schedule: '" + t.schedule + "' is not constant or cosine");
  if (!(t.warmup_ratio >= 0 && t.warmup_ratio <= 1)) out.push_back("train.warmup_ratio: must be in [0, 1]");
  if (!(t.max_grad_norm > 0)) out.push_back("train.max_grad_norm: must be > 0");
  if (t.source_max_len < 1 || t.target_max_len < 1) out.push_back("train.source_max_len / target_max_len: must be at least 1");
  if (t.dist_check_every < 0) out.push_back("train.dist_check_every: must be >= 0");
  if (r.holdout < 0 || r.eval_rows < 0 || r.eval_every < 0) out.push_back("holdout / eval_rows / eval_every: must be >= 0");
  if (r.eval_every > 0 && r.holdout == 0) out.push_back("eval_every: needs held-out rows (holdout)");
  if (r.save_every < 0) out.push_back("save_every: must be >= 0");
  if (!r.quant.empty()) {
    try {
      auto q = QuantSettings::for_method(r.quant);
      q.block_size = r.quant_group;
      q.icq = r.icq;
      q.gptq = r.gptq;
      q.validate();
    } catch (const Error& e) {
      out.push_back(std::string("quant: ") + e.what());
    }
  }
  const QuantFormat* base_format = r.quant.empty() ? nullptr : find_quant_format(r.quant);
  if (r.qa_lora && (!base_format || !base_format->zero_points || r.quant_group < 1))
    out.push_back("qa_lora: needs an INT base with groups (its adapter merges into the groups' zero points)");
  try {
    if (!r.dtype.empty()) parse_dtype(r.dtype);
    if (parse_device(r.device).is_cuda() && r.nproc > cuda_device_count())
      out.push_back("nproc: data parallel over " + std::to_string(r.nproc) + " ranks needs as many GPUs; this machine has " +
                    std::to_string(cuda_device_count()));
  } catch (const Error& e) {
    out.push_back(std::string("device / dtype: ") + e.what());
  }
  if (r.nproc < 1) out.push_back("nproc: must be at least 1");
  return out;
}

namespace {

// OUT/checkpoint-N with the largest N (a checkpoint being written, *.tmp-*, is not one).
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

class StepSink final : public MetricsSink {
 public:
  StepSink(int64_t steps, bool lead, ReportedRun* rec, FinetuneOutcome* outcome, const FinetuneEvents& events)
      : steps_(steps), lead_(lead), rec_(rec), outcome_(outcome), events_(events) {}
  void on_step(const TrainMetrics& m) override {
    if (!lead_) return;  // rank 0 reports the job
    const FinetunePoint p{m.step, steps_, m.loss, m.lr, m.grad_norm, m.tokens_per_second, m.memory_mb, m.tokens, m.rank_tokens_per_second};
    outcome_->points.push_back(p);
    rec_->metrics(m.step, p.values());
    if (events_.on_step) events_.on_step(p);
  }

 private:
  int64_t steps_;
  bool lead_;
  ReportedRun* rec_;
  FinetuneOutcome* outcome_;
  const FinetuneEvents& events_;
};

MemoryPlanRequest memory_plan_of(const FinetuneRequest& r, const torch::Device& device) {
  MemoryPlanRequest plan;
  plan.model_dir = r.model_dir;
  plan.quant = r.quant;
  plan.quant_group = r.quant_group;
  plan.icq = r.icq;
  plan.rank = r.lora.rank;
  plan.iec = r.lora.iec;
  plan.targets = r.lora.targets;
  plan.batch = r.train.batch;
  plan.seq = r.train.source_max_len + r.train.target_max_len;
  plan.optimizer_offload = r.train.optimizer_offload;
  plan.checkpointing = r.train.gradient_checkpointing == 1 || (r.train.gradient_checkpointing < 0 && device.is_cuda());
  plan.dtype_bytes = compute_dtype_bytes(r.dtype, device);
  return plan;
}

nlohmann::json config_of(const FinetuneRequest& r, const LoraConfig& lora, const nlohmann::json& quant, size_t eval_rows, int world) {
  const TrainConfig& c = r.train;
  return {{"data", r.data_file.string()}, {"steps", c.steps}, {"batch", c.batch}, {"accum", c.accum}, {"lr", c.lr},
          {"rank", lora.rank}, {"alpha", lora.alpha}, {"iec", lora.iec}, {"quant", quant}, {"seed", c.seed},
          {"schedule", c.schedule}, {"warmup_ratio", c.warmup_ratio}, {"max_grad_norm", c.max_grad_norm},
          {"lora_dropout", lora.dropout}, {"targets", lora.targets}, {"qa_lora_group", lora.qa_group},
          {"source_max_len", c.source_max_len}, {"target_max_len", c.target_max_len}, {"holdout", r.holdout},
          {"eval_rows", static_cast<int64_t>(eval_rows)}, {"recipe", r.recipe.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.recipe)},
          {"tf32", r.tf32}, {"optimizer_offload", c.optimizer_offload}, {"world_size", world},
          {"global_batch", c.batch * c.accum * world}, {"front_end", r.front_end}};
}

}  // namespace

FinetuneOutcome run_finetune(const FinetuneRequest& r, const FinetuneEvents& events, const CancelToken* cancel,
                             DataParallelGroup* group) {
  throw_if_problems("finetune", validate(r));
  if (r.nproc > 1 && !group)
    throw make_error(ErrorKind::kUsage, "finetune", "nproc: data-parallel ranks run through the irqlora CLI (finetune --nproc), not in this process");
  init_runtime();
  const bool lead = !group || group->rank() == 0;
  const int world = group ? group->world() : 1;
  const auto say = [&](const std::string& line) {
    if (lead && events.run.on_message) events.run.on_message(line);
  };
  FinetuneOutcome outcome;
  LoadOptions lo;
  lo.device = parse_device(r.device);
  if (!r.dtype.empty()) lo.dtype = parse_dtype(r.dtype);
  lo.require_tokenizer = true;
  lo.cancel = cancel;
  lo.progress = lead ? events.load_progress : nullptr;
  outcome.device = lo.device.str();

  // The data first (a bad file fails before the model loads), then the memory plan.
  LoraConfig lora = r.lora;
  lora.seed = r.train.seed;
  lora.qa_group = r.qa_lora ? r.quant_group : 0;
  const auto all_records = load_alpaca(r.data_file);
  const HoldoutSplit split = holdout_split(all_records.size(), r.holdout, /*seed=*/42, r.data_file.string());
  std::vector<AlpacaRecord> records, eval_records;
  for (size_t i : split.train) records.push_back(all_records[i]);
  for (size_t i : split.eval)
    if (r.eval_rows == 0 || static_cast<int64_t>(eval_records.size()) < r.eval_rows) eval_records.push_back(all_records[i]);
  check_memory_plan(memory_plan_of(r, lo.device), lo.device, "finetune", say);
  if (r.tf32) allow_tf32_matmul(true);

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
  ModelQuantStats stats;
  auto loaded = r.quant.empty() ? load_model(r.model_dir, lo) : load_quantized(r.model_dir, lo, q, &stats);
  if (!r.quant.empty()) {
    stats.settings = q.settings;
    say(stats.summary());
  }
  add_lora(loaded.model, lora);
  const Tokenizer& tok = loaded.require_tokenizer();
  std::vector<TrainExample> examples, eval_examples;
  for (const auto& rec : records) examples.push_back(tokenize_example(rec, tok, r.train.source_max_len, r.train.target_max_len));
  for (const auto& rec : eval_records) eval_examples.push_back(tokenize_example(rec, tok, r.train.source_max_len, r.train.target_max_len));
  {  // the size of the work before it starts
    int64_t tokens = 0;
    for (const auto& e : examples) tokens += static_cast<int64_t>(e.input_ids.size());
    const TrainConfig& c = r.train;
    const int64_t global = c.steps * c.batch * c.accum * world;
    const double epochs = static_cast<double>(global) / static_cast<double>(std::max<size_t>(1, examples.size()));
    const std::string ranks = group ? " x " + std::to_string(world) + " ranks (" + group->backend() + ")" : "";
    char line[320];
    std::snprintf(line, sizeof line, "finetune: %lld steps x batch %lld%s x accum %lld = %lld examples (%.2f epochs of %zu rows, %lld tokens per epoch)",
                  (long long)c.steps, (long long)c.batch, ranks.c_str(), (long long)c.accum, (long long)global, epochs, examples.size(),
                  (long long)tokens);
    say(line);
  }

  const RunEvents none;
  ReportedRun rec(lead ? events.run : none, lead ? r.db_path : fs::path(), "finetune", r.model_dir,
                  config_of(r, lora, quant, eval_examples.size(), world), outcome.device);
  outcome.run_id = rec.id();
  rec.record([&] {
    try {
      StepSink sink(r.train.steps, lead, &rec, &outcome, events);
      Trainer trainer(loaded.model, std::move(examples), r.train, &sink, group);
      if (r.resume) {
        const fs::path ckpt = latest_checkpoint(r.out_dir);
        if (ckpt.empty()) throw make_error(ErrorKind::kNotFound, r.out_dir.string(), "no checkpoint-N folder to resume from");
        trainer.load_checkpoint(ckpt);
        say("resumed from " + ckpt.string() + " (step " + std::to_string(trainer.step()) + ")");
      }
      fs::create_directories(r.out_dir);
      const int64_t steps = r.train.steps;
      const auto next_multiple = [&](int64_t every) {
        return every > 0 ? std::min(steps, (trainer.step() / every + 1) * every) : steps;
      };
      while (trainer.step() < steps) {
        trainer.run(std::min(next_multiple(r.save_every), next_multiple(r.eval_every)), cancel);
        if (cancel) cancel->throw_if_cancelled("finetune");
        const int64_t step = trainer.step();
        if (!eval_examples.empty() && (step == steps || (r.eval_every > 0 && step % r.eval_every == 0))) {
          const double eval_loss = trainer.evaluate(eval_examples);  // every rank: it is a collective
          if (lead) {
            char line[96];
            std::snprintf(line, sizeof line, "step %lld: eval loss %.4f on %zu held-out rows", (long long)step, eval_loss, eval_examples.size());
            say(line);
            rec.metrics(step, {{"eval_loss", eval_loss}});
          }
        }
        if (lead && (step == steps || (r.save_every > 0 && step % r.save_every == 0))) {
          const fs::path ckpt = r.out_dir / ("checkpoint-" + std::to_string(step));
          trainer.save_checkpoint(ckpt);
          rec.artifact("checkpoint", ckpt);
        }
      }
      outcome.steps_done = trainer.step();
      outcome.losses = trainer.losses();
      if (!lead) return;
      outcome.adapter = r.out_dir / "adapter";
      save_adapter(outcome.adapter, loaded.model, lora, fs::absolute(r.model_dir).string(), quant);
      rec.artifact("adapter", outcome.adapter);
    } catch (const std::exception& e) {
      if (group) group->announce_failure(e.what());  // the other ranks' errors name this one
      throw;
    }
  });
  return outcome;
}

}  // namespace irq
