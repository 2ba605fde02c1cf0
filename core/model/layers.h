// Basic layers of the LLaMA decoder, with parameters named as in Hugging Face
// ("weight", "bias") and allocated uninitialised on the target device/dtype:
// a checkpoint fills them, so no time or memory goes into a random init.
// RMSNorm matches transformers' LlamaRMSNorm (statistics in float32).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace irq {

struct LinearImpl : torch::nn::Module {
  LinearImpl(int64_t in_features, int64_t out_features, bool bias, const torch::TensorOptions& options);
  // Registers an existing tensor as "weight" (tied lm_head: the same tensor as the embedding).
  explicit LinearImpl(const torch::Tensor& shared_weight);
  torch::Tensor forward(const torch::Tensor& x);  // (..., in) -> (..., out)
  torch::Tensor weight;  // (out, in)
  torch::Tensor bias;    // (out) or undefined
};
TORCH_MODULE(Linear);

struct EmbeddingImpl : torch::nn::Module {
  EmbeddingImpl(int64_t num_embeddings, int64_t dim, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& ids);  // (B, T) int64 -> (B, T, C)
  torch::Tensor weight;                             // (V, C)
};
TORCH_MODULE(Embedding);

struct RMSNormImpl : torch::nn::Module {
  RMSNormImpl(int64_t dim, double eps, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // (..., C)
  torch::Tensor weight;                           // (C)
  double eps;
};
TORCH_MODULE(RMSNorm);

}  // namespace irq
