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

// The group-mean matrix G (r, d_in) and the repeat matrix R (d_out, r).
torch::Tensor iec_group_mean_matrix(int64_t rank, int64_t d_in, const torch::TensorOptions& options);
torch::Tensor iec_repeat_matrix(int64_t rank, int64_t d_out, const torch::TensorOptions& options);

// The same delta computed through the fold: x (A + beta_a G)^T (B + beta_b R)^T
// * scaling. Two small (r x d) additions replace the per-token group mean and
// repeat, so IEC costs what plain LoRA costs; gradients reach A, B and the
// betas through the fold. G and R are precomputed by the caller.
torch::Tensor iec_lora_delta_folded(const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B,
                                    const torch::Tensor& beta_a, const torch::Tensor& beta_b, const torch::Tensor& G,
                                    const torch::Tensor& R, double scaling);

}  // namespace irq
