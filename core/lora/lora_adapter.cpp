// LoRA / IEC-LoRA / QA-LoRA as a Linear's adapter (see lora_adapter.h).
#include "lora/lora_adapter.h"

#include <cmath>
#include <string>

#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"
#include "lora/iec_lora.h"
#include "lora/lora_delta.h"

namespace irq {

torch::Tensor LoraAdapter::A_weight() const {
  // Autograd through repeat_interleave sums each group's gradient back into A.
  return qa_group > 0 ? lora_A->weight.repeat_interleave(qa_group, /*dim=*/1) : lora_A->weight;
}

std::pair<torch::Tensor, torch::Tensor> LoraAdapter::folded(torch::ScalarType dtype) const {
  auto as = [dtype](const torch::Tensor& t) { return t.defined() ? t.to(dtype) : t; };
  return fold_iec(A_weight().to(dtype), lora_B->weight.to(dtype), as(iec_beta_a), as(iec_beta_b));
}

torch::Tensor LoraAdapter::merged_delta(torch::ScalarType dtype) const {
  const auto [A2, B2] = folded(dtype);
  return scaling * torch::mm(B2, A2);
}

torch::Tensor LoraAdapter::delta(const torch::Tensor& x, bool training) const {
  if (dropout > 0 && training)
    return lora_delta_dropout(x, dropout, lora_A->weight, lora_B->weight, iec_beta_a, iec_beta_b, iec_G, iec_R, scaling, qa_group);
  return lora_delta(x, A_weight(), lora_B->weight, iec_beta_a, iec_beta_b, iec_G, iec_R, scaling);
}

LoraAdapter& enable_lora(LinearImpl& layer, int64_t rank, double alpha, bool iec, const torch::TensorOptions& options,
                         uint64_t seed, int64_t qa) {
  const int64_t in = layer.in_features, out = layer.out_features;
  if (layer.has_adapter()) throw make_error(ErrorKind::kUsage, "LoRA", "this layer already has an adapter");
  if (rank < 1) throw make_error(ErrorKind::kUsage, "LoRA", "rank must be positive");
  if (qa < 0 || (qa > 0 && in % qa != 0))
    throw make_error(ErrorKind::kUsage, "QA-LoRA",
                     "group " + std::to_string(qa) + " does not divide the layer's " + std::to_string(in) + " input features");
  if (iec)
    check_iec_rank(rank, in, out, "IEC-LoRA on a [" + std::to_string(out) + ", " + std::to_string(in) + "] layer");
  torch::NoGradGuard no_grad;
  auto a = std::make_shared<LoraAdapter>();
  a->qa_group = qa;
  const int64_t a_in = qa > 0 ? in / qa : in;
  a->lora_A = layer.register_module("lora_A", std::make_shared<LinearImpl>(a_in, rank, /*bias=*/false, options));
  a->lora_B = layer.register_module("lora_B", std::make_shared<LinearImpl>(rank, out, /*bias=*/false, options));
  // peft: kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in)); B = 0.
  // QA-LoRA (peft_utils_iec.py reset_lora_parameters): xavier_uniform_ -> U(-b, b), b = sqrt(6 / (fan_in + fan_out)).
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double bound = qa > 0 ? std::sqrt(6.0 / static_cast<double>(a_in + rank)) : 1.0 / std::sqrt(static_cast<double>(in));
  a->lora_A->weight.copy_(torch::empty({rank, a_in}, torch::kFloat64).uniform_(-bound, bound, gen));
  a->lora_B->weight.zero_();
  if (iec) {
    a->iec_beta_a = layer.register_parameter("iec_beta_a", torch::zeros({}, options));
    a->iec_beta_b = layer.register_parameter("iec_beta_b", torch::zeros({}, options));
    a->iec_G = iec_group_mean_matrix(rank, in, options);
    a->iec_R = iec_repeat_matrix(rank, out, options);
  }
  a->scaling = alpha / static_cast<double>(rank);
  LoraAdapter& ref = *a;
  layer.attach_adapter(std::move(a));
  return ref;
}

LoraAdapter* lora_of(LinearImpl& layer) { return dynamic_cast<LoraAdapter*>(layer.adapter.get()); }
const LoraAdapter* lora_of(const LinearImpl& layer) { return dynamic_cast<const LoraAdapter*>(layer.adapter.get()); }

}  // namespace irq
