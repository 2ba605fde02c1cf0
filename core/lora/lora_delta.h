// The LoRA / IEC-LoRA update of a linear layer as one autograd node, the path
// training and inference take (iec_lora_delta_folded in iec_lora.h is the
// same function built from autograd ops; the tests hold the two equal, values
// and gradients). One node instead of ~14 small ones per projection: on a
// GPU the small kernels, not the FLOPs, are what IEC would otherwise add.
//   forward:  A' = A + beta_a G, B's = scaling (B + beta_b R)
//             u = x A'^T (N, r), y = u B's^T (N, d_out), in A's dtype,
//             returned in x's dtype
//   backward: gB' = scaling g^T u, gu = g B's, gA' = gu^T x, gx = gu A',
//             gA = gA', gB = gB', g beta_a = <gA', G>, g beta_b = <gB', R>
// x is saved in its own dtype (the base layer keeps it alive anyway), so the
// adapter adds no float32 copy of the activations to the autograd graph.
#pragma once

#include <torch/types.h>

namespace irq {

// x (..., d_in) -> (..., d_out) in x's dtype. beta_a/beta_b/G/R undefined for
// plain LoRA.
torch::Tensor lora_delta(const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& beta_a,
                         const torch::Tensor& beta_b, const torch::Tensor& G, const torch::Tensor& R, double scaling);

// The update with dropout (probability p, training) on lora_A's input only,
// as peft and the authors' IRQLoraLinear4bit.forward (utils.py) apply it: the
// IEC group-mean path reads the undropped x, so the fold A + beta_a G does
// not hold and this is built from autograd ops:
//   u = drop(x) A^T + beta_a x G^T,  y = scaling u (B + beta_b R)^T
// qa_group > 0 (QA-LoRA, peft_utils_iec.py): A is (r, d_in / qa_group) and
// reads drop(group sums of x) (AvgPool1d(qa_group)(x) * qa_group).
torch::Tensor lora_delta_dropout(const torch::Tensor& x, double p, const torch::Tensor& A, const torch::Tensor& B,
                                 const torch::Tensor& beta_a, const torch::Tensor& beta_b, const torch::Tensor& G,
                                 const torch::Tensor& R, double scaling, int64_t qa_group = 0);

}  // namespace irq
