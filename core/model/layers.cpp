// Linear, Embedding and RMSNorm (HF LlamaRMSNorm semantics).
#include "model/layers.h"

#include <torch/nn/functional.h>

namespace irq {

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, bool with_bias, const torch::TensorOptions& options) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}, options));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}, options));
}

LinearImpl::LinearImpl(const torch::Tensor& shared_weight) { weight = register_parameter("weight", shared_weight); }

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  if (quant) return torch::nn::functional::linear(x, quant->dequantize(x.scalar_type()), bias);
  return torch::nn::functional::linear(x, weight, bias);
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
