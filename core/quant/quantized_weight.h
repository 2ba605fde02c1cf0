// A quantized weight held by a Linear module as torch tensors on the
// module's device. Its format dequantizes it (QuantFormat::dequantize_weight:
// torch ops that run on any device, in the same float order as the format's
// CPU dequant, so the result is bit-identical, or the format's CUDA kernel).
// The base weight is frozen: no gradients.
// It is the model's FrozenWeight (model/frozen_weight.h) for quantized layers.
#pragma once

#include <memory>

#include <torch/types.h>

#include "model/frozen_weight.h"
#include "quant/quantized_tensor.h"

namespace irq {

struct LinearImpl;

struct QuantizedWeight : FrozenWeight {
  QuantSettings settings;
  std::vector<int64_t> shape;
  torch::Tensor codes;                    // u8, packed (layout in quantized_tensor.h)
  torch::Tensor absmax_q, absmax_scale;   // NF4
  float absmax_offset = 0;
  torch::Tensor tau_q, tau_scale;         // NF4 (ICQ)
  torch::Tensor scale, zero;              // INT: (rows, ngroups)

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
