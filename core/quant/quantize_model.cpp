// In-place quantization of a LoadedModel's projections.
#include "quant/quantize_model.h"

#include <chrono>

#include "common/error.h"
#include "model/model_loader.h"
#include "quant/quant_format.h"

namespace irq {

ModelQuantStats quantize_model(LoadedModel& loaded, const ModelQuantOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  options.settings.validate();
  const QuantFormat& format = require_quant_format(options.settings.method);
  const auto names = quantizable_weights(loaded.config, options.targets);
  auto modules = loaded.model->named_modules(/*name_prefix=*/"", /*include_self=*/false);
  ModelQuantStats model;
  model.settings = options.settings;
  model.model_dir = loaded.dir.string();
  int64_t done = 0;
  for (const auto& name : names) {
    if (options.cancel) options.cancel->throw_if_cancelled("quantizing " + loaded.dir.string());
    const std::string module_name = name.substr(0, name.size() - std::string(".weight").size());
    auto* linear = modules[module_name]->as<LinearImpl>();
    if (!linear) throw make_error(ErrorKind::kInvalidInput, module_name, "is not a Linear module");
    if (linear->quantized()) throw make_error(ErrorKind::kUsage, module_name, "is already quantized");
    const torch::Tensor w = linear->weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    QuantizedTensor q;
    LayerQuantStats stats;
    quantize_weight(format, w.data_ptr<float>(), w.sizes().vec(), name, options, &q, &stats);
    linear->set_quantized(QuantizedWeight::from_host(q, linear->weight.device()));
    model.layers.push_back(std::move(stats));
    if (options.progress) options.progress->progress("quantize", ++done, static_cast<int64_t>(names.size()));
  }
  model.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.finish();
  return model;
}

}  // namespace irq
