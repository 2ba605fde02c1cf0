// AutoGPTQ's add_batch (hessian.h).
#include "quant/gptq/hessian.h"

#include <torch/torch.h>

#include <cmath>

namespace irq {

void HessianAccumulator::add(const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  const int64_t C = input.size(-1), batch = input.dim() == 3 ? input.size(0) : 1;
  auto x = input.reshape({-1, C}).to(torch::kFloat32);  // (tokens, C)
  if (!H.defined()) H = torch::zeros({C, C}, x.options());
  H.mul_(static_cast<double>(samples) / static_cast<double>(samples + batch));
  samples += batch;
  x = x.t() * std::sqrt(2.0 / static_cast<double>(samples));  // (C, tokens)
  H.add_(x.matmul(x.t()));
}

}  // namespace irq
