// load_model with deferred projections + quantize_model + the move to the device.
#include "quant/load_quantized.h"

#include <torch/cuda.h>

#include "model/llama_config.h"
#include "quant/quantize_model.h"
#include "runtime/runtime.h"

namespace irq {

LoadedModel load_quantized(const std::filesystem::path& dir, LoadOptions load, ModelQuantOptions quant, ModelQuantStats* stats) {
  const torch::Device device = load.device;
  const auto config = LlamaConfig::from_file(dir / "config.json");
  if (!load.dtype) load.dtype = default_dtype(device);
  load.device = torch::kCPU;  // built on the CPU, where untouched storage costs nothing
  load.deferred_weights = quantizable_weights(config, quant.targets);
  LoadedModel loaded = load_model(dir, load);
  if (device.is_cuda()) {
    quant.use_cuda = true;
    quant.cuda_device = device.has_index() ? device.index() : 0;
  }
  quant.keep_block_stats = false;
  if (!quant.progress) quant.progress = load.progress;
  if (!quant.cancel) quant.cancel = load.cancel;
  const auto s = quantize_model(loaded, quant);
  if (stats) *stats = s;
  if (device != torch::Device(torch::kCPU)) {
    loaded.model->to(device);
    for (const auto& m : loaded.model->named_modules("", /*include_self=*/false))
      if (auto* linear = m.value()->as<LinearImpl>(); linear && linear->has_frozen_weight())
        linear->frozen_weight = linear->frozen_weight->to_device(device);
    if (device.is_cuda()) torch::cuda::synchronize();
  }
  return loaded;
}

}  // namespace irq
