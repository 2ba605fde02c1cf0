// Streaming quantization of a checkpoint's decoder projections.
#include "quant/model_quantizer.h"

#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "io/checkpoint.h"
#include "io/tensor_view.h"
#include "model/llama_config.h"
#include "model/model_loader.h"
#include "quant/gptq/gptq_model.h"
#include "quant/quant_format.h"
#include "quant/quantize_weights.h"

namespace irq {

namespace fs = std::filesystem;

std::vector<std::string> quantizable_weights(const LlamaConfig& config, const std::vector<std::string>& targets) {
  check_projection_names(targets, "targets", ErrorKind::kUsage);
  std::vector<std::string> names;
  for (int64_t l = 0; l < config.num_hidden_layers; ++l)
    for (const auto& t : targets) {
      const bool attn = t == "q_proj" || t == "k_proj" || t == "v_proj" || t == "o_proj";
      names.push_back("model.layers." + std::to_string(l) + (attn ? ".self_attn." : ".mlp.") + t + ".weight");
    }
  return names;
}

ModelQuantStats quantize_weights(const std::vector<std::string>& names, const std::string& model_dir,
                                 const ModelQuantOptions& options, const WeightFetch& fetch, const QuantSink& store,
                                 const WeightPrefetch& prefetch) {
  const auto t0 = std::chrono::steady_clock::now();
  options.settings.validate();
  const QuantFormat& format = require_quant_format(options.settings.method);
  ModelQuantStats model;
  model.settings = options.settings;
  model.model_dir = model_dir;
  int64_t done = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (options.cancel) options.cancel->throw_if_cancelled("quantizing " + model_dir);
    QuantJob job;
    FetchedWeight fetched = fetch(name);
    if (prefetch && i + 1 < names.size()) prefetch(names[i + 1]);
    const torch::Tensor& stored = fetched.values;
    job.shape = stored.sizes().vec();
    job.name = name;
    job.settings = options.settings;
    job.keep_block_histograms = options.keep_block_histograms;
    job.cancel = options.cancel;
    QuantizedTensor q;
    LayerQuantStats stats;
    const auto t0 = std::chrono::steady_clock::now();
    if (options.use_cuda && format.quantize_cuda && torch::cuda::is_available()) {
      // The stored dtype crosses the bus (half the bytes of float32 for a
      // 16-bit checkpoint) through pinned memory (LibTorch's caching host
      // allocator keeps the buffer; the copy into it runs on all threads)
      // and is widened on the device.
      const torch::Device device = stored.is_cuda() ? stored.device() : torch::Device(torch::kCUDA, options.cuda_device);
      torch::Tensor staged = stored;
      if (!stored.is_cuda()) {
        staged = torch::empty(stored.sizes(), stored.options().pinned_memory(true));
        staged.copy_(stored);
      }
      const torch::Tensor w = staged.to(device, /*non_blocking=*/true).to(torch::kFloat32).contiguous();
      if (fetched.release) fetched.release();
      const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      job.weight = w.data_ptr<float>();
      job.cuda_device = w.device().index();
      job.stream = c10::cuda::getCurrentCUDAStream(w.device().index()).stream();
      format.quantize_cuda(job, &q, &stats);
      if (stats.phases.empty()) stats.phases.emplace_back("quantize", stats.seconds);
      stats.phases.insert(stats.phases.begin(), {"read + copy to the device", read_seconds});
    } else {
      // Converted straight into the float32 buffer the quantizer reads: one float32 copy alive.
      std::vector<float> w(static_cast<size_t>(stored.numel()));
      torch::from_blob(w.data(), stored.sizes(), torch::kFloat32).copy_(stored);
      if (fetched.release) fetched.release();
      job.weight = w.data();
      const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      format.quantize(job, &q, &stats);
      if (stats.phases.empty()) stats.phases.emplace_back("quantize", stats.seconds);
      stats.phases.insert(stats.phases.begin(), {"read + convert to float32", read_seconds});
    }
    if (store) store(name, std::move(q), stats);
    if (!options.keep_block_stats) {
      for (auto* v : {&stats.entropy_plain, &stats.entropy, &stats.offset, &stats.absmax, &stats.mse}) std::vector<float>().swap(*v);
      std::vector<int32_t>().swap(stats.candidate);
      std::vector<uint16_t>().swap(stats.histogram);
    }
    model.layers.push_back(std::move(stats));
    if (options.progress) options.progress->progress("quantize", ++done, static_cast<int64_t>(names.size()));
  }
  model.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.finish();
  return model;
}

ModelQuantStats quantize_checkpoint(const fs::path& dir, const ModelQuantOptions& options, const QuantSink& sink) {
  const auto config = LlamaConfig::from_file(dir / "config.json");
  const auto weights = CheckpointWeights::open(dir);
  const auto names = quantizable_weights(config, options.targets);
  const WeightFetch fetch = [&](const std::string& name) {
    const auto entry = weights.find(name);
    if (!entry.file) throw make_error(ErrorKind::kNotFound, dir.string(), "checkpoint has no tensor '" + name + "'");
    // One weight at a time, read from the mapped file by whoever copies it.
    return FetchedWeight{tensor_view(*entry.file, *entry.info), [entry] { entry.file->release(*entry.info); }};
  };
  const WeightPrefetch prefetch = [&](const std::string& name) {
    if (const auto entry = weights.find(name); entry.file) entry.file->prefetch(*entry.info);
  };
  if (!options.settings.gptq.enabled) return quantize_weights(names, dir.string(), options, fetch, sink, prefetch);
  // GPTQ needs the layers' activations: the model without its targeted
  // projections (never read, so never resident), which fetch supplies layer by layer.
  LoadOptions lo;
  lo.device = torch::kCPU;
  lo.dtype = torch::kFloat32;
  lo.require_tokenizer = true;
  lo.deferred_weights = names;
  lo.cancel = options.cancel;
  auto loaded = load_model(dir, lo);
  return gptq_quantize_model(loaded, options, fetch, sink);
}

}  // namespace irq
