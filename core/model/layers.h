// Basic layers of the LLaMA decoder, with parameters named as in Hugging Face
// ("weight", "bias") and allocated uninitialised on the target device/dtype:
// a checkpoint fills them, so no time or memory goes into a random init.
// RMSNorm matches transformers' LlamaRMSNorm (statistics in float32).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <functional>
#include <memory>

#include "model/adapter.h"
#include "model/frozen_weight.h"

namespace irq {

struct LinearImpl : torch::nn::Module {
  LinearImpl(int64_t in_features, int64_t out_features, bool bias, const torch::TensorOptions& options);
  // Registers an existing tensor as "weight" (tied lm_head: the same tensor as the embedding).
  explicit LinearImpl(const torch::Tensor& shared_weight);
  torch::Tensor forward(const torch::Tensor& x);  // (..., in) -> (..., out)
  // Replaces the weight by a frozen one (quantized: quant/quantized_weight.h),
  // moved to the weight's device; the float weight is freed ("weight" stays
  // registered, empty). Throws Error(kInvalidInput) when the shapes differ.
  void set_frozen_weight(std::shared_ptr<FrozenWeight> w);
  bool has_frozen_weight() const { return frozen_weight != nullptr; }
  torch::Tensor effective_weight(torch::ScalarType dtype) const;  // the frozen one dequantized, or the weight
  // Attaches a trainable adapter (lora/lora_adapter.h enable_lora); its delta
  // is added to the output. Throws Error(kUsage) when one is attached already.
  void attach_adapter(std::shared_ptr<Adapter> a);
  bool has_adapter() const { return adapter != nullptr; }
  torch::Tensor weight;  // (out, in); empty when frozen_weight is set
  torch::Tensor bias;    // (out) or undefined
  std::shared_ptr<FrozenWeight> frozen_weight;
  std::shared_ptr<Adapter> adapter;
  // Sees every input before the product when set: the calibration taps of
  // GPTQ (AutoGPTQ's forward hooks; quant/gptq/gptq_model.cpp). Empty otherwise.
  std::function<void(const torch::Tensor&)> input_observer;
  int64_t in_features = 0, out_features = 0;
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
