// The frozen base of a Linear when it is not the module's own dense
// "weight" parameter: an interface the model calls and the formats implement
// (quant/quantized_weight.h: NF4, ICQ-NF4, INT-k), so that core/model never
// includes core/quant. A checkpoint directory that stores such weights is
// read by a reader its format registers (quant/stored_quantized_weights.cpp
// for irqlora_quant.json); the loader asks every registered reader.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace irq {

class CheckpointWeights;

struct FrozenWeight {
  virtual ~FrozenWeight() = default;
  // y = x W^T + b: x (..., in) -> (..., out); bias (out) or undefined. No
  // gradient reaches the weight; the input's gradient flows.
  virtual torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& bias) const = 0;
  virtual torch::Tensor dequantize(torch::ScalarType dtype) const = 0;  // W (out, in) on the weight's device
  virtual std::shared_ptr<FrozenWeight> to_device(const torch::Device& device) const = 0;
  virtual std::vector<int64_t> weight_shape() const = 0;  // (out, in)
  virtual int64_t storage_bytes() const = 0;
  virtual std::string label() const = 0;  // what the layer stores, for summaries: "ICQ-NF4", "INT4"
};

// The frozen weights a checkpoint directory stores, by HF weight name
// ("model.layers.0.mlp.up_proj.weight"), on the CPU.
struct StoredFrozenWeights {
  std::map<std::string, std::shared_ptr<FrozenWeight>> weights;
  std::set<std::string> tensors;  // the checkpoint tensors they were read from
  std::string source;             // the file that declares them, named in errors
};

// nullopt when the directory stores none of this reader's weights; throws
// irq::Error naming the file when it declares some and they are bad.
using FrozenWeightReader =
    std::function<std::optional<StoredFrozenWeights>(const std::filesystem::path& dir, const CheckpointWeights& weights)>;

void register_frozen_weight_reader(FrozenWeightReader reader);
// What the registered readers find in `dir` (empty when none answers).
StoredFrozenWeights read_frozen_weights(const std::filesystem::path& dir, const CheckpointWeights& weights);

}  // namespace irq
