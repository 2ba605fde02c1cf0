// The model loader's reader of irqlora quantized checkpoints
// (quant/quant_checkpoint.h): registered with model/frozen_weight.h when the
// engine library loads, so that load_model opens a quantized directory while
// core/model knows nothing of quantization.
#include <memory>

#include "io/checkpoint.h"
#include "model/frozen_weight.h"
#include "quant/quant_checkpoint.h"
#include "quant/quant_format.h"
#include "quant/quantized_weight.h"

namespace irq {

namespace {

std::optional<StoredFrozenWeights> read_irqlora_quant(const std::filesystem::path& dir, const CheckpointWeights& weights) {
  auto quantized = read_quantized_tensors(dir, weights);
  if (quantized.empty()) return std::nullopt;
  StoredFrozenWeights out;
  out.source = (dir / "irqlora_quant.json").string();
  for (auto it = quantized.begin(); it != quantized.end(); it = quantized.erase(it)) {  // one host copy at a time
    const std::string& name = it->first;
    // Every part a writer may have stored (plain NF4 from before tau was left out has zero taus).
    for (const auto& part : checkpoint_part_suffixes(it->second.shape, it->second.settings))
      if (weights.find(name + "." + part).file) out.tensors.insert(name + "." + part);
    out.weights.emplace(name, std::make_shared<QuantizedWeight>(QuantizedWeight::from_host(it->second, torch::kCPU)));
  }
  return out;
}

[[maybe_unused]] const bool kIrqloraQuantReaderRegistered = (register_frozen_weight_reader(read_irqlora_quant), true);

}  // namespace

}  // namespace irq
