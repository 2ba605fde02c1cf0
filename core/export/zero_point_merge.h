// A trained QA-LoRA (+ IEC) adapter folded exactly into its INT base's zero
// points (QA-LoRA, Xu et al. 2023, section 3.3): the adapter's update
//   dW = scaling (B + beta_b R)(A_expanded + beta_a G)   (out, in)
// is constant over each quantization group's columns when lora_A reads group
// sums (and IEC's mean groups of in / r columns are unions of quantization
// groups), so with c = dW[o, group]:
//   scale (q - zero) + c = scale (q - zero'),  zero' = zero - c / scale,
// codes and scales unchanged. The result is an ordinary INT tensor; its Q4_1
// GGUF export carries the same codes.
#pragma once

#include <string>

#include <torch/types.h>

#include "quant/quantized_tensor.h"

namespace irq {

// Largest deviation of dW from its group's first column, relative to max
// |dW|, above which the update is not a per-group constant (float32 rounding
// of the fold stays far below it).
inline constexpr double kMaxGroupVariation = 1e-5;

// base: an INT tensor with groups (not per channel); delta: (out, in) in any
// float dtype. Throws Error(kUsage) naming the tensor when the base is not a
// grouped INT tensor or delta is not constant over its groups.
QuantizedTensor merge_into_zero_points(const QuantizedTensor& base, const torch::Tensor& delta, const std::string& name);

}  // namespace irq
