// LoRA (IEC-LoRA, QA-LoRA) as the adapter of a Linear (model/adapter.h):
// its tensors, its initialisation as peft's, and its delta (lora_delta.h).
// Parameters are registered on the host Linear under PEFT's names
// ("lora_A.weight", "lora_B.weight"; IEC: "iec_beta_a", "iec_beta_b"), so
// the model's parameter names are the adapter file's.
#pragma once

#include <memory>
#include <utility>

#include "model/adapter.h"
#include "model/layers.h"

namespace irq {

struct LoraAdapter : Adapter {
  torch::Tensor delta(const torch::Tensor& x, bool training) const override;
  // lora_A as a (r, in) matrix: QA-LoRA's A with each column repeated over its
  // group's qa_group input columns (x . that == group sums . A), else A itself.
  torch::Tensor A_weight() const;
  // (A2, B2) with B2 A2 == the update's matrix before scaling: IEC folded in
  // (iec_lora.h fold_iec), QA-LoRA's A expanded, in `dtype`. Exporters write
  // them as a plain peft LoRA or merge scaling * B2 A2 into the base.
  std::pair<torch::Tensor, torch::Tensor> folded(torch::ScalarType dtype) const;
  torch::Tensor merged_delta(torch::ScalarType dtype) const;  // scaling * B2 A2, (out, in)
  int64_t rank() const { return lora_A->weight.size(0); }
  bool iec() const { return iec_beta_a.defined(); }

  std::shared_ptr<LinearImpl> lora_A, lora_B;  // (r, in) [QA-LoRA: (r, in / qa_group)], (out, r)
  torch::Tensor iec_beta_a, iec_beta_b;        // 0-dim; undefined for plain LoRA
  torch::Tensor iec_G, iec_R;                  // fixed group-mean (r, in) / repeat (out, r) matrices (not parameters)
  double scaling = 0;                          // alpha / rank
  double dropout = 0;                          // on lora_A's input while training (lora_delta_dropout)
  int64_t qa_group = 0;                        // QA-LoRA group (0: plain LoRA)
};

// Adds a trainable LoRA (IEC-LoRA when iec) beside `layer`'s frozen base, as
// peft initialises it: lora_A kaiming-uniform(a = sqrt(5)), lora_B zeros,
// scaling alpha / rank, IEC scalars 0. Throws Error(kUsage) when the layer
// has an adapter, the rank is not positive, or IEC is on and the rank does
// not divide in/out.
// qa_group > 0: QA-LoRA (Xu et al. 2023, as the authors' peft_utils_iec.py):
// lora_A (r, in / qa_group) reads the sums of each group of qa_group input
// columns (the INT base's quantization groups), xavier-uniform init; IEC's
// paths stay on the full input. Throws when qa_group does not divide in.
LoraAdapter& enable_lora(LinearImpl& layer, int64_t rank, double alpha, bool iec, const torch::TensorOptions& options,
                         uint64_t seed, int64_t qa_group = 0);

// The layer's LoRA, or null when it has none (or another kind of adapter).
LoraAdapter* lora_of(LinearImpl& layer);
const LoraAdapter* lora_of(const LinearImpl& layer);

}  // namespace irq
