// Linear, Embedding and RMSNorm (HF LlamaRMSNorm semantics).
#include "model/layers.h"

#include <torch/nn/functional.h>

#include "common/error.h"
#include "model/model_summary.h"

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
  auto out = frozen_weight ? frozen_weight->linear(x, bias) : torch::nn::functional::linear(x, weight, bias);
  return adapter ? out + adapter->delta(x, is_training()) : out;
}

void LinearImpl::set_frozen_weight(std::shared_ptr<FrozenWeight> w) {
  const auto shape = w->weight_shape();
  if (shape != std::vector<int64_t>{out_features, in_features})
    throw make_error(ErrorKind::kInvalidInput, w->label() + " weight",
                     "has shape " + shape_to_string(shape) + " but the layer is " + shape_to_string({out_features, in_features}));
  frozen_weight = w->to_device(weight.device());
  torch::NoGradGuard no_grad;
  weight.set_requires_grad(false);
  weight.set_data(torch::empty({0}, weight.options()));
}

void LinearImpl::attach_adapter(std::shared_ptr<Adapter> a) {
  if (adapter) throw make_error(ErrorKind::kUsage, "LoRA", "this layer already has an adapter");
  adapter = std::move(a);
}

torch::Tensor LinearImpl::effective_weight(torch::ScalarType dtype) const {
  return frozen_weight ? frozen_weight->dequantize(dtype) : weight.to(dtype);
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
