// In-place quantization of a LoadedModel's projections.
#include "quant/quantize_model.h"

#include <optional>

#include "common/error.h"
#include "io/checkpoint.h"
#include "io/tensor_view.h"
#include "model/model_loader.h"
#include "quant/gptq/gptq_model.h"
#include "quant/quant_format.h"
#include "quant/quantize_weights.h"
#include "quant/quantized_weight.h"

namespace irq {

ModelQuantStats quantize_model(LoadedModel& loaded, const ModelQuantOptions& options) {
  auto modules = loaded.model->named_modules(/*name_prefix=*/"", /*include_self=*/false);
  auto linear_of = [&](const std::string& name) {
    const std::string module_name = name.substr(0, name.size() - std::string(".weight").size());
    auto* linear = modules[module_name]->as<LinearImpl>();
    if (!linear) throw make_error(ErrorKind::kInvalidInput, module_name, "is not a Linear module");
    return linear;
  };
  // Quantize the checkpoint's stored values, not the model's compute-dtype
  // copy: a model loaded in bfloat16 on a GPU must get the same codes and tau
  // as the float32 CPU load of the same checkpoint, so that adapters trained
  // on one device evaluate and export on another.
  // A model without safetensors behind it (built in memory, or from another
  // format) uses its own weights; a checkpoint that is there but cannot be
  // opened is an error, never a silent fallback.
  std::optional<CheckpointWeights> source;
  if (!loaded.dir.empty() && CheckpointWeights::present(loaded.dir)) source = CheckpointWeights::open(loaded.dir);
  ModelQuantOptions opts = options;
  const auto model_device = loaded.model->options().device();
  if (model_device.is_cuda()) {
    opts.use_cuda = true;
    opts.cuda_device = model_device.has_index() ? model_device.index() : 0;
  }
  const WeightFetch fetch = [&](const std::string& name) {
    auto* linear = linear_of(name);
    if (linear->has_frozen_weight()) throw make_error(ErrorKind::kUsage, name, "is already quantized");
    if (source)
      if (auto entry = source->find(name); entry.file && entry.info->shape == linear->weight.sizes().vec())
        return FetchedWeight{tensor_view(*entry.file, *entry.info), [entry] { entry.file->release(*entry.info); }};  // any stored dtype
    if (linear->weight.numel() == 0) throw make_error(ErrorKind::kNotFound, loaded.dir.string(), "checkpoint has no tensor '" + name + "'");
    return FetchedWeight{linear->weight.detach(), {}};
  };
  // GPTQ sets each projection's quantized weight itself (later subsets run on it).
  if (opts.settings.gptq.enabled) return gptq_quantize_model(loaded, opts, fetch, {});
  return quantize_weights(quantizable_weights(loaded.config, opts.targets), loaded.dir.string(), opts, fetch,
                          [&](const std::string& name, QuantizedTensor&& q, const LayerQuantStats&) {
                            auto* linear = linear_of(name);
                            set_quantized(*linear, QuantizedWeight::from_host(q, linear->weight.device()));
                          },
                          [&](const std::string& name) {
                            if (source)
                              if (const auto entry = source->find(name); entry.file) entry.file->prefetch(*entry.info);
                          });
}

}  // namespace irq
