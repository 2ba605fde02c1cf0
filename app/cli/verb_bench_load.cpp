// irqlora bench load MODEL_DIR: time to open a checkpoint (mmap + header
// validation), to load it into the model, and forward throughput: prefill
// tokens/s, and decode tokens/s with the KV cache against the baseline of
// recomputing the whole sequence each step, measured in the same run.
// --contended repeats prefill and decode while a busy neighbour process
// holds one core, and prints the ratios to the quiet figures. --quant
// quantizes on load and reports peak RSS against the quantized model's size;
// with --versus-full the full-precision model is measured after it, in the
// same run, and the quantized / full ratios are printed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include <torch/cuda.h>

#include "cli/busy_neighbour.h"
#include "cli/peak_rss.h"
#include "cli/model_options.h"
#include "cli/verbs.h"
#include "io/checkpoint.h"
#include "model/llama_config.h"
#include "runtime/runtime.h"
#include "runtime/threads.h"

namespace irq::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

struct Forward {
  double prefill = 0, decode = 0, recompute = 0;  // seconds: best prefill, all decode steps, all recompute steps
};

// Prefill (best of `repeats`, after a warm-up), decode with the KV cache,
// and optionally the recompute-the-prefix baseline.
Forward measure_forward(LlamaForCausalLM& model, const torch::Tensor& ids, int64_t prompt, int64_t decode, int64_t repeats,
                        bool recompute) {
  const auto device = model->options().device();
  const int64_t batch = ids.size(0);
  Forward f;
  model->forward(ids.narrow(1, 0, prompt));
  sync(device);
  f.prefill = 1e30;
  for (int64_t i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    model->forward(ids.narrow(1, 0, prompt), nullptr, {}, /*last_only=*/true);
    sync(device);
    f.prefill = std::min(f.prefill, seconds(t0));
  }
  auto cache = model->make_cache(batch, prompt + decode);
  model->forward(ids.narrow(1, 0, prompt), &cache, {}, true);
  sync(device);
  auto t0 = Clock::now();
  for (int64_t t = prompt; t < prompt + decode; ++t) model->forward(ids.narrow(1, t, 1), &cache, {}, true);
  sync(device);
  f.decode = seconds(t0);
  if (recompute) {
    t0 = Clock::now();
    for (int64_t t = prompt; t < prompt + decode; ++t) model->forward(ids.narrow(1, 0, t + 1), nullptr, {}, true);
    sync(device);
    f.recompute = seconds(t0);
  }
  return f;
}

int run_bench_load(const ParsedArgs& args) {
  const std::filesystem::path dir = args.positional[0];
  const int64_t repeats = std::max<int64_t>(1, args.integer("repeats"));

  // Open: config + mmap + header validation of every shard.
  double open_best = 1e30;
  for (int64_t i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    auto config = LlamaConfig::from_file(dir / "config.json");
    auto weights = CheckpointWeights::open(dir);
    open_best = std::min(open_best, seconds(t0));
  }
  double load_best = 1e30;
  LoadedModel loaded;
  double rss_after_load = 0;
  for (int64_t i = 0; i < repeats; ++i) {
    loaded = LoadedModel{};  // one model in memory at a time
    loaded = load_for_cli(args, /*require_tokenizer=*/false);
    load_best = std::min(load_best, loaded.load_seconds + loaded.open_seconds);
    // The peak of one load, as a user's process sees it: the later repeats
    // (timing only) reload into a heap the first one fragmented.
    if (i == 0) rss_after_load = peak_rss_bytes();
  }
  auto& model = loaded.model;
  const auto device = model->options().device();
  const auto& c = loaded.config;
  const int64_t prompt = std::min<int64_t>(args.integer("prompt-tokens"), c.max_position_embeddings / 2);
  const int64_t decode = std::min<int64_t>(args.integer("decode-tokens"), c.max_position_embeddings - prompt);
  const int64_t batch = std::max<int64_t>(1, args.integer("batch"));
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(/*seed=*/1234);
  auto ids = torch::randint(c.vocab_size, {batch, prompt + decode}, gen, torch::kInt64).to(device);
  const Forward quiet = measure_forward(model, ids, prompt, decode, repeats, /*recompute=*/true);

  const double gib = static_cast<double>(loaded.checkpoint_bytes) / (1 << 30);
  std::printf("bench load  %s  (%s on %s, %d threads on %s, best of %lld)\n", dir.c_str(),
              dtype_display_name(model->options().dtype().toScalarType()).c_str(), device.str().c_str(), num_threads(),
              usable_cores().describe().c_str(), (long long)repeats);
  std::printf("  open (config + mmap + header validation)   %10.3f ms\n", 1e3 * open_best);
  std::printf("  load into model                            %10.3f ms  (%.2f GiB/s of checkpoint)\n", 1e3 * load_best,
              gib / load_best);
  if (args.has("quant")) {
    // The quantized model's own size: packed projections + every other tensor as held.
    double model_bytes = 0;
    std::set<const void*> seen;
    for (const auto& p : model->parameters())
      if (seen.insert(p.unsafeGetTensorImpl()).second) model_bytes += static_cast<double>(p.numel() * p.element_size());
    for (const auto& m : model->named_modules("", /*include_self=*/false))
      if (const auto* l = m.value()->as<LinearImpl>(); l && l->has_frozen_weight()) model_bytes += static_cast<double>(l->frozen_weight->storage_bytes());
    const double mib = 1024.0 * 1024.0, rss = rss_after_load;
    std::printf("  quantized on load: model %.1f MiB, peak RSS while loading %.1f MiB = %.2fx model + %.0f MiB (first load; %.1f MiB after %lld)\n",
                model_bytes / mib, rss / mib, rss / model_bytes, (rss - model_bytes) / mib, peak_rss_bytes() / mib, (long long)repeats);
    std::printf("  goal: peak RSS <= 1.25 x model + 300 MiB = %.1f MiB: %s\n", (1.25 * model_bytes + 300 * mib) / mib,
                rss <= 1.25 * model_bytes + 300 * mib ? "met" : "NOT met");
  }
  std::printf("  prefill  batch %lld x %lld tokens               %10.1f tokens/s\n", (long long)batch, (long long)prompt,
              batch * prompt / quiet.prefill);
  std::printf("  decode with KV cache (%lld steps)             %10.1f tokens/s\n", (long long)decode, batch * decode / quiet.decode);
  std::printf("  decode recomputing the prefix (baseline)   %10.1f tokens/s\n", batch * decode / quiet.recompute);
  std::printf("  ratio KV cache / recompute                 %10.2fx\n", quiet.recompute / quiet.decode);
  if (args.flag("contended")) {
    std::fflush(stdout);
    Forward busy;
    {
      BusyNeighbour neighbour;  // another process keeps one core busy meanwhile
      busy = measure_forward(model, ids, prompt, decode, repeats, /*recompute=*/false);
    }
    std::printf("  with one busy neighbour process (%d threads):\n", num_threads());
    std::printf("  prefill                                    %10.1f tokens/s  %5.2fx of quiet (goal >= 0.40)\n",
                batch * prompt / busy.prefill, quiet.prefill / busy.prefill);
    std::printf("  decode with KV cache                       %10.1f tokens/s  %5.2fx of quiet (goal >= 0.40)\n",
                batch * decode / busy.decode, quiet.decode / busy.decode);
  }
  if (args.has("quant") && args.flag("versus-full")) {
    // The same checkpoint unquantized, same ids and lengths, in this run; one model in memory at a time.
    std::fflush(stdout);
    loaded = LoadedModel{};
    ParsedArgs full = args;
    full.values_.erase("quant");
    full.given_.erase("quant");
    auto fp = load_for_cli(full, /*require_tokenizer=*/false);
    const Forward f = measure_forward(fp.model, ids, prompt, decode, repeats, /*recompute=*/false);
    std::printf("  full precision (%s), same run:\n", dtype_display_name(fp.model->options().dtype().toScalarType()).c_str());
    std::printf("  prefill                                    %10.1f tokens/s  %s / full %5.2fx\n", batch * prompt / f.prefill,
                args.str("quant").c_str(), f.prefill / quiet.prefill);
    std::printf("  decode with KV cache                       %10.1f tokens/s  %s / full %5.2fx\n", batch * decode / f.decode,
                args.str("quant").c_str(), f.decode / quiet.decode);
  }
  return 0;
}

}  // namespace

Verb bench_load_verb() {
  VerbSpec spec{"bench load", "MODEL_DIR", "benchmark: checkpoint open/load time and forward tokens/s", {}, 1, 1};
  spec.options = {{"repeats", "N", "repetitions; the best is reported", "3"},
                  {"prompt-tokens", "T", "prefill length", "128"},
                  {"decode-tokens", "N", "decode steps", "64"},
                  {"batch", "B", "sequences per forward", "1"},
                  {"contended", "", "measure again while another process keeps one core busy; print the ratios", ""},
                  {"versus-full", "", "with --quant: measure the unquantized model too, same run, and print the ratios", ""}};
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : quant_options()) spec.options.push_back(o);  // --quant: quantize on load, report its peak RSS
  return {spec, &run_bench_load};
}

}  // namespace irq::cli
