// Linear, Embedding and RMSNorm (HF LlamaRMSNorm semantics).
#include "model/layers.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional.h>

#include "common/error.h"
#include "lora/iec_lora.h"
#include "lora/lora_delta.h"
#include "quant/quantized_linear.h"

namespace irq {

LinearImpl::LinearImpl(int64_t in, int64_t out, bool with_bias, const torch::TensorOptions& options)
    : in_features(in), out_features(out) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}, options));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}, options));
}

LinearImpl::LinearImpl(const torch::Tensor& shared_weight)
    : in_features(shared_weight.size(1)), out_features(shared_weight.size(0)) {
  weight = register_parameter("weight", shared_weight);
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  if (input_observer) input_observer(x);
  auto out = quant ? quantized_linear(x, *quant, bias)  // no whole dequantized weight (quant/quantized_linear.h)
                   : torch::nn::functional::linear(x, weight, bias);
  if (!lora_A) return out;
  if (lora_dropout > 0 && is_training())
    return out + lora_delta_dropout(x, lora_dropout, lora_A->weight, lora_B->weight, iec_beta_a, iec_beta_b, iec_G, iec_R,
                                    lora_scaling, qa_group);
  return out + lora_delta(x, lora_A_weight(), lora_B->weight, iec_beta_a, iec_beta_b, iec_G, iec_R, lora_scaling);
}

torch::Tensor LinearImpl::lora_A_weight() const {
  // Autograd through repeat_interleave sums each group's gradient back into A.
  return qa_group > 0 ? lora_A->weight.repeat_interleave(qa_group, /*dim=*/1) : lora_A->weight;
}

void LinearImpl::enable_lora(int64_t rank, double alpha, bool iec, const torch::TensorOptions& options, uint64_t seed,
                             int64_t qa) {
  if (lora_A) throw make_error(ErrorKind::kUsage, "LoRA", "this layer already has an adapter");
  if (rank < 1) throw make_error(ErrorKind::kUsage, "LoRA", "rank must be positive");
  if (qa < 0 || (qa > 0 && in_features % qa != 0))
    throw make_error(ErrorKind::kUsage, "QA-LoRA", "group " + std::to_string(qa) + " does not divide the layer's " +
                                                       std::to_string(in_features) + " input features");
  if (iec) check_iec_rank(rank, in_features, out_features, "IEC-LoRA on a [" + std::to_string(out_features) + ", " +
                                                               std::to_string(in_features) + "] layer");
  torch::NoGradGuard no_grad;
  qa_group = qa;
  const int64_t a_in = qa > 0 ? in_features / qa : in_features;
  lora_A = register_module("lora_A", std::make_shared<LinearImpl>(a_in, rank, /*bias=*/false, options));
  lora_B = register_module("lora_B", std::make_shared<LinearImpl>(rank, out_features, /*bias=*/false, options));
  // peft: kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in)); B = 0.
  // QA-LoRA (peft_utils_iec.py reset_lora_parameters): xavier_uniform_ -> U(-b, b), b = sqrt(6 / (fan_in + fan_out)).
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double bound = qa > 0 ? std::sqrt(6.0 / static_cast<double>(a_in + rank)) : 1.0 / std::sqrt(static_cast<double>(in_features));
  lora_A->weight.copy_(torch::empty({rank, a_in}, torch::kFloat64).uniform_(-bound, bound, gen));
  lora_B->weight.zero_();
  if (iec) {
    iec_beta_a = register_parameter("iec_beta_a", torch::zeros({}, options));
    iec_beta_b = register_parameter("iec_beta_b", torch::zeros({}, options));
    iec_G = iec_group_mean_matrix(rank, in_features, options);
    iec_R = iec_repeat_matrix(rank, out_features, options);
  }
  lora_scaling = alpha / static_cast<double>(rank);
}

void LinearImpl::set_quantized(QuantizedWeight q) {
  quant = std::make_shared<QuantizedWeight>(std::move(q.to(weight.device())));
  torch::NoGradGuard no_grad;
  weight.set_requires_grad(false);
  weight.set_data(torch::empty({0}, weight.options()));
}

torch::Tensor LinearImpl::effective_weight(torch::ScalarType dtype) const {
  return quant ? quant->dequantize(dtype) : weight.to(dtype);
}

EmbeddingImpl::EmbeddingImpl(int64_t num_embeddings, int64_t dim, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({num_embeddings, dim}, options));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, const torch::TensorOptions& options) : eps(eps_) {
  weight = register_parameter("weight", torch::empty({dim}, options));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  const auto input_dtype = x.scalar_type();
  auto h = x.to(torch::kFloat32);
  auto variance = h.pow(2).mean(/*dim=*/{-1}, /*keepdim=*/true);
  h = h * torch::rsqrt(variance + eps);
  return weight * h.to(input_dtype);
}

}  // namespace irq
