// irqlora bench train: finetuning throughput and peak memory on a
// LLaMA-shaped model with random weights (no checkpoint needed), for the
// base in full precision + LoRA, NF4 + LoRA and NF4 + IEC-LoRA, measured in
// one run; prints tokens/s, ratios (IEC vs LoRA step time, NF4 vs fp) and
// peak resident memory (CPU) or peak allocated GPU memory. --contended adds
// the full-precision step under a busy neighbour process and its ratio.
// --nproc N: the full-precision step data parallel over N ranks (Gloo on
// the CPU, NCCL on GPUs), against one rank without a process group measured
// first with the same threads per rank: tokens/s and the scaling efficiency
// (N ranks' tokens/s over N x one rank's). --nproc 1 measures a process
// group's own overhead.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

#include <torch/cuda.h>

#include "cli/busy_neighbour.h"
#include "cli/data_parallel.h"
#include "cli/peak_rss.h"
#include "cli/verbs.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"
#include "runtime/cuda_memory.h"
#include "runtime/runtime.h"
#include "runtime/threads.h"
#include "train/trainer.h"

namespace irq::cli {

namespace {

LlamaConfig shape_config(const std::string& shape) {
  LlamaConfig c;
  if (shape == "tiny") {
    c.hidden_size = 256, c.intermediate_size = 768, c.num_attention_heads = 8, c.num_key_value_heads = 4, c.num_hidden_layers = 4;
    c.vocab_size = 512;
  } else if (shape == "small") {
    c.hidden_size = 1024, c.intermediate_size = 2752, c.num_attention_heads = 16, c.num_key_value_heads = 16, c.num_hidden_layers = 8;
    c.vocab_size = 32000;
  } else if (shape == "7b") {
    c.hidden_size = 4096, c.intermediate_size = 11008, c.num_attention_heads = 32, c.num_key_value_heads = 32, c.num_hidden_layers = 32;
    c.vocab_size = 32000;
  } else {
    throw make_error(ErrorKind::kUsage, "--shape " + shape, "expected tiny, small or 7b");
  }
  c.head_dim = c.hidden_size / c.num_attention_heads;
  c.max_position_embeddings = 4096;
  c.rms_norm_eps = 1e-5;
  return c;
}

struct Result {
  double tokens_per_second = 0, step_seconds = 0;
  double memory_mb = 0;  // peak GPU memory allocated while training (CUDA), or peak RSS (CPU)
  double quantize_seconds = 0;
  double allreduce_seconds = 0;  // data parallel: the gradient all-reduce per step
};

class Collect final : public MetricsSink {
 public:
  std::vector<TrainMetrics> steps;
  void on_step(const TrainMetrics& m) override { steps.push_back(m); }
};

// Quantized bases by module name: ICQ-NF4 runs once and the LoRA and the
// IEC-LoRA measurement share the same frozen base (a 7B base takes a minute
// to quantize; the step times do not depend on which run quantized it).
using QuantizedBase = std::map<std::string, QuantizedWeight>;

Result measure(const LlamaConfig& config, const torch::TensorOptions& opts, QuantizedBase* base, bool iec, int64_t rank,
               int64_t steps, int64_t batch, int64_t seq, DataParallelGroup* group = nullptr) {
  LoadedModel m;
  m.config = config;
  m.model = LlamaForCausalLM(config, opts);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m.model->named_parameters()) {
      if (p.key().find("norm") != std::string::npos) p.value().fill_(1.0);
      else p.value().normal_(0.0, 0.02);
      p.value().set_requires_grad(false);
    }
  }
  Result r;
  if (base && base->empty()) {
    ModelQuantOptions q;
    q.settings = QuantSettings::for_method("nf4");
    r.quantize_seconds = quantize_model(m, q).seconds;
    for (const auto& item : m.model->named_modules("", false))
      if (auto* l = item.value()->as<LinearImpl>(); l && quantized_weight(*l)) base->emplace(item.key(), *quantized_weight(*l));
  } else if (base) {
    auto modules = m.model->named_modules("", false);
    for (const auto& [name, q] : *base) set_quantized(*modules[name]->as<LinearImpl>(), q);
  }
  LoraConfig lora;
  lora.rank = rank;
  lora.iec = iec;
  add_lora(m.model, lora);
  std::mt19937_64 rng(1);
  std::vector<TrainExample> data;
  const int64_t world = group ? group->world() : 1;
  for (int64_t i = 0; i < batch * world * (steps + 1); ++i) {
    TrainExample e;
    for (int64_t t = 0; t < seq; ++t) e.input_ids.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(config.vocab_size)));
    e.labels = e.input_ids;
    data.push_back(std::move(e));
  }
  TrainConfig c;
  c.steps = steps + 1;
  c.batch = batch;
  c.warmup_ratio = 0;
  Collect sink;
  const auto device = opts.device();
  cuda_reset_peak_memory(device);  // the training peak, not the full-precision weights quantized away
  Trainer t(m.model, std::move(data), c, &sink, group);
  t.run();
  r.memory_mb = device.is_cuda() ? cuda_peak_allocated_mb(device) : peak_rss_bytes() / (1024.0 * 1024.0);
  // The first step warms up and is left out.
  for (size_t i = 1; i < sink.steps.size(); ++i) {
    r.tokens_per_second += sink.steps[i].tokens_per_second / static_cast<double>(sink.steps.size() - 1);
    r.allreduce_seconds += sink.steps[i].allreduce_seconds / static_cast<double>(sink.steps.size() - 1);
    r.step_seconds += static_cast<double>(batch * world * seq) / sink.steps[i].tokens_per_second / static_cast<double>(sink.steps.size() - 1);
  }
  return r;
}

// --nproc: one rank without a process group here, then the ranks.
int launch_scaling(const ParsedArgs& args, const LlamaConfig& config, const torch::TensorOptions& opts) {
  const int64_t nproc = args.integer("nproc"), batch = args.integer("batch"), seq = args.integer("seq");
  const int threads = std::max(1, engine_threads() / static_cast<int>(std::max<int64_t>(1, nproc)));
  if (!opts.device().is_cuda()) at::set_num_threads(threads);
  const Result one = measure(config, opts, nullptr, false, args.integer("rank"), args.integer("steps"), batch, seq);
  std::printf("  one rank, no process group    %10.1f tokens/s  (%d CPU thread(s) per rank)\n", one.tokens_per_second,
              opts.device().is_cuda() ? 0 : threads);
  std::fflush(stdout);
  char baseline[32];
  std::snprintf(baseline, sizeof baseline, "%.6g", one.tokens_per_second);
  launch_ranks(args, "bench train", {"--dp-baseline", baseline});
  return 0;
}

// A rank of --nproc (or of torchrun): the same step through the process group.
int run_rank(const ParsedArgs& args, const DistEnv& env, const LlamaConfig& config, const torch::TensorOptions& opts) {
  const auto group = join_group(args, env, opts.device());
  const Result r = measure(config, opts, nullptr, false, args.integer("rank"), args.integer("steps"), args.integer("batch"),
                           args.integer("seq"), group.get());
  if (env.rank != 0) return 0;
  const double baseline = args.number("dp-baseline");
  std::printf("  %d rank(s) x batch %lld, %s  %10.1f tokens/s  %8.3f s/step\n", env.world, (long long)args.integer("batch"), group->backend().c_str(),
              r.tokens_per_second, r.step_seconds);
  std::printf("  gradient all-reduce (%s, %lld-MiB buckets, waiting for the slower rank included): %.2f ms of the %.1f ms step "
              "(%.1f%%), the most that overlapping it with backward could save\n",
              group->backend().c_str(), (long long)(DataParallelGroup::kBucketBytes >> 20), 1e3 * r.allreduce_seconds,
              1e3 * r.step_seconds, 100.0 * r.allreduce_seconds / r.step_seconds);
  if (baseline > 0)
    std::printf("  scaling efficiency: %.2f (%d ranks' tokens/s over %d x one rank's without a process group)\n",
                r.tokens_per_second / (env.world * baseline), env.world, env.world);
  return 0;
}

int run_bench_train(const ParsedArgs& given) {
  init_runtime();
  const DistEnv env = dist_env();
  const bool rank_of_job = std::getenv("IRQLORA_LAUNCHED") || env.distributed();
  const ParsedArgs args = rank_of_job ? rank_args(given, env) : given;
  const auto config = shape_config(args.str("shape"));
  const auto device = parse_device(args.str("device"));
  const auto dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  const auto opts = torch::TensorOptions().dtype(dtype).device(device);
  const int64_t steps = args.integer("steps"), batch = args.integer("batch"), seq = args.integer("seq"), rank = args.integer("rank");
  if (!rank_of_job || (env.rank == 0 && !std::getenv("IRQLORA_LAUNCHED")))  // once per job
    std::printf("bench train  shape %s (%lld layers, hidden %lld), %s on %s, batch %lld x %lld tokens, rank %lld, %lld steps\n",
                args.str("shape").c_str(), (long long)config.num_hidden_layers, (long long)config.hidden_size,
                dtype_display_name(dtype).c_str(), device.str().c_str(), (long long)batch, (long long)seq, (long long)rank,
                (long long)steps);
  if (rank_of_job) return run_rank(args, env, config, opts);
  if (args.given("nproc")) return launch_scaling(args, config, opts);
  const char* memory = device.is_cuda() ? "peak GPU allocated" : "peak RSS";
  auto report = [&](const char* label, const Result& r) {
    std::printf("  %-26s %10.1f tokens/s  %8.3f s/step  %s %.0f MiB", label, r.tokens_per_second, r.step_seconds, memory,
                r.memory_mb);
    if (r.quantize_seconds > 0) std::printf("  (ICQ-NF4 quantization %.1f s)", r.quantize_seconds);
    std::printf("\n");
    std::fflush(stdout);
  };
  const Result fp = measure(config, opts, nullptr, false, rank, steps, batch, seq);
  report(dtype == torch::kBFloat16 ? "bf16 base + LoRA" : "fp32 base + LoRA", fp);
  if (args.flag("contended")) {
    Result busy;
    {
      BusyNeighbour neighbour;  // another process keeps one core busy meanwhile
      busy = measure(config, opts, nullptr, false, rank, steps, batch, seq);
    }
    report("  ... with a busy neighbour", busy);
    std::printf("  training step with one busy neighbour process: %.2fx of quiet throughput (goal >= 0.40)\n",
                busy.tokens_per_second / fp.tokens_per_second);
  }
  QuantizedBase base;
  const Result lora = measure(config, opts, &base, false, rank, steps, batch, seq);
  report("ICQ-NF4 base + LoRA", lora);
  const Result iec = measure(config, opts, &base, true, rank, steps, batch, seq);
  report("ICQ-NF4 base + IEC-LoRA", iec);
  std::printf("  IEC step time over LoRA: %+.1f%% (goal <= +3%%)\n", 100.0 * (iec.step_seconds / lora.step_seconds - 1.0));
  std::printf("  NF4 base throughput / fp base: %.2fx (goal >= 0.85x on an H100 at 7B shape)\n",
              lora.tokens_per_second / fp.tokens_per_second);
  return 0;
}

}  // namespace

Verb bench_train_verb() {
  VerbSpec spec{"bench train", "", "benchmark: finetuning tokens/s and memory, fp vs NF4 base, LoRA vs IEC-LoRA", {}, 0, 0};
  spec.options = {{"shape", "S", "tiny, small or 7b (random weights)", "tiny"},
                  {"steps", "N", "measured steps (after one warm-up step)", "3"},
                  {"batch", "B", "sequences per step", "4"},
                  {"seq", "T", "tokens per sequence", "128"},
                  {"rank", "R", "LoRA rank", "64"},
                  {"device", "DEV", "cpu, cuda or auto", "auto"},
                  {"contended", "", "also measure the full-precision step while another process keeps one core busy", ""},
                  {"dp-baseline", "TOK/S", "(set by --nproc for its ranks) one rank's tokens/s", "0"}};
  for (auto& o : data_parallel_options()) spec.options.push_back(o);
  return {spec, &run_bench_train};
}

}  // namespace irq::cli
