// IEC-LoRA (IR-QLoRA's Information Elastic Connection), as
// shared/reference/icq_oracle.py iec_lora_forward:
//   h = A x + beta_a * (mean of x over r contiguous groups of d_in / r)
//   y = B h + beta_b * (h repeated: output j takes h[j / (d_out / r)])
//   delta = scaling * y            (added to the frozen base layer's output)
// with A (r, d_in), B (d_out, r), beta_a = beta_b = 0 at init (plain LoRA
// then), trainable. The IEC paths are linear, so they fold into plain LoRA:
//   A' = A + beta_a * G (G: group-mean matrix), B' = B + beta_b * R (R: repeat
//   matrix), and B' A' x == y exactly (up to rounding).
#pragma once

#include <string>
#include <utility>

#include <torch/types.h>

namespace irq {

// Throws Error(kUsage) explaining which dimension r does not divide.
void check_iec_rank(int64_t rank, int64_t d_in, int64_t d_out, const std::string& where);

// x (..., d_in) -> scaling * y (..., d_out). beta_* are 0-dim tensors (or
// undefined for plain LoRA: no IEC paths).
torch::Tensor iec_lora_delta(const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B,
                             const torch::Tensor& beta_a, const torch::Tensor& beta_b, double scaling);

// (A', B') of the equivalent plain LoRA.
std::pair<torch::Tensor, torch::Tensor> fold_iec(const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& beta_a,
                                                 const torch::Tensor& beta_b);

}  // namespace irq
