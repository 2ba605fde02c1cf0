// A quantized weight held by a Linear module as torch tensors on the
// module's device. Its format dequantizes it (QuantFormat::dequantize_weight:
// torch ops that run on any device, in the same float order as the format's
// CPU dequant, so the result is bit-identical, or the format's CUDA kernel).
// The base weight is frozen: no gradients.
// It is the model's FrozenWeight (model/frozen_weight.h) for quantized layers.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "model/frozen_weight.h"
#include "quant/quantized_tensor.h"

namespace irq {

struct LinearImpl;

struct QuantizedWeight : FrozenWeight {
  QuantSettings settings;
  std::vector<int64_t> shape;
  // The format's parts (quantized_tensor.h) as 1-d tensors (u8 or f32) on
  // the weight's device, and its scalar parts (PayloadPart::scalar) on the host.
  std::vector<std::pair<std::string, torch::Tensor>> parts;
  std::vector<std::pair<std::string, float>> scalars;

  // The part `name`; Error(kInvalidInput) naming it when absent.
  const torch::Tensor& part(const std::string& name) const;
  const torch::Tensor* find_part(const std::string& name) const;  // null when absent
  float scalar(const std::string& name) const;                    // 0 when absent
  const torch::Tensor& codes() const { return part("codes"); }

  static QuantizedWeight from_host(const QuantizedTensor& q, const torch::Device& device);
  QuantizedTensor to_host() const;
  QuantizedWeight to(const torch::Device& device) const;
  // The dequantized weight (shape) in `dtype` on the codes' device.
  torch::Tensor dequantize(torch::ScalarType dtype = torch::kFloat32) const override;
  int64_t storage_bytes() const override;
  int64_t numel() const;

  // FrozenWeight: the product is quantized_linear (quant/quantized_linear.h).
  torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& bias) const override;
  std::shared_ptr<FrozenWeight> to_device(const torch::Device& device) const override;
  std::vector<int64_t> weight_shape() const override { return shape; }
  std::string label() const override { return settings.short_name(); }
};

// Helpers for the formats' dequantize_weight, on the tensors' device:
// per-element codes (int64, `count`) of a packed stream (quantized_tensor.h's
// packing), and 8-bit double-quantized statistics DYN8[q] * scale[group of q]
// (dynamic_map.h; `group` values of q per scale).
torch::Tensor unpack_codes_tensor(const torch::Tensor& packed, int bits, int64_t count);
torch::Tensor dequantize_dynamic_8bit(const torch::Tensor& q, const torch::Tensor& scale, int64_t group);

// The layer's quantized base, or null when its base is dense (or another kind).
const QuantizedWeight* quantized_weight(const LinearImpl& layer);
// Makes `q` the layer's frozen base (LinearImpl::set_frozen_weight).
void set_quantized(LinearImpl& layer, QuantizedWeight q);

}  // namespace irq
