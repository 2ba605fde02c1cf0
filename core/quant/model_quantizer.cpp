// Streaming quantization of a checkpoint's decoder projections.
#include "quant/model_quantizer.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "io/checkpoint.h"
#include "io/tensor_view.h"
#include "model/llama_config.h"
#include "quant/quant_format.h"

namespace irq {

namespace fs = std::filesystem;

std::vector<std::string> quantizable_weights(const LlamaConfig& config, const std::vector<std::string>& targets) {
  std::vector<std::string> names;
  for (int64_t l = 0; l < config.num_hidden_layers; ++l)
    for (const auto& t : targets) {
      const bool attn = t == "q_proj" || t == "k_proj" || t == "v_proj" || t == "o_proj";
      names.push_back("model.layers." + std::to_string(l) + (attn ? ".self_attn." : ".mlp.") + t + ".weight");
    }
  return names;
}

std::vector<std::string> parse_targets(const std::string& list) {
  static const std::vector<std::string> all = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  if (list.empty() || list == "all") return all;
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.size() < 5 || item.compare(item.size() - 5, 5, "_proj") != 0) item += "_proj";
    if (std::find(all.begin(), all.end(), item) == all.end())
      throw make_error(ErrorKind::kUsage, "--targets " + list, "unknown projection '" + item + "' (q,k,v,o,gate,up,down)");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

ModelQuantStats quantize_weights(const std::vector<std::string>& names, const std::string& model_dir,
                                 const ModelQuantOptions& options, const WeightFetch& fetch, const QuantSink& store) {
  const auto t0 = std::chrono::steady_clock::now();
  options.settings.validate();
  const QuantFormat& format = require_quant_format(options.settings.method);
  ModelQuantStats model;
  model.settings = options.settings;
  model.model_dir = model_dir;
  int64_t done = 0;
  for (const auto& name : names) {
    if (options.cancel) options.cancel->throw_if_cancelled("quantizing " + model_dir);
    QuantJob job;
    const std::vector<float> w = fetch(name, &job.shape);
    job.weight = w.data();
    job.name = name;
    job.settings = options.settings;
    job.keep_block_histograms = options.keep_block_histograms;
    job.cancel = options.cancel;
    QuantizedTensor q;
    LayerQuantStats stats;
    if (options.use_cuda && format.quantize_cuda) format.quantize_cuda(job, &q, &stats);
    else format.quantize(job, &q, &stats);
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
  return quantize_weights(
      quantizable_weights(config, options.targets), dir.string(), options,
      [&](const std::string& name, std::vector<int64_t>* shape) {
        const auto entry = weights.find(name);
        if (!entry.file) throw make_error(ErrorKind::kNotFound, dir.string(), "checkpoint has no tensor '" + name + "'");
        // One weight in float32 at a time, read from the mapped file.
        const torch::Tensor w = tensor_view(*entry.file, *entry.info).to(torch::kFloat32).contiguous();
        *shape = w.sizes().vec();
        return std::vector<float>(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
      },
      sink);
}

}  // namespace irq
