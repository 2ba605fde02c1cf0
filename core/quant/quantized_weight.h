// A quantized weight held by a Linear module as torch tensors on the
// module's device, with dequantization in plain torch ops (so it runs on any
// device; float operations in the same order as the plugins' CPU dequant, so
// the result is bit-identical). The base weight is frozen: no gradients.
#pragma once

#include <torch/types.h>

#include "quant/quantized_tensor.h"

namespace irq {

struct QuantizedWeight {
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
  torch::Tensor dequantize(torch::ScalarType dtype = torch::kFloat32) const;
  int64_t storage_bytes() const;
  int64_t numel() const;
};

}  // namespace irq
