// The calibration Hessian of a linear layer's input, as AutoGPTQ's add_batch
// accumulates it: H = (2 / N) sum over the N samples' tokens of x x^T, kept
// as a running average in float32 (H *= N / (N + B); N += B; H += (sqrt(2 / N) X)^T (sqrt(2 / N) X)).
#pragma once

#include <torch/types.h>

namespace irq {

struct HessianAccumulator {
  torch::Tensor H;  // (C, C) float32 on the inputs' device; undefined before the first add
  int64_t samples = 0;

  void add(const torch::Tensor& input);  // (B, T, C) or (T, C): B samples (1 for 2-D)
};

}  // namespace irq
