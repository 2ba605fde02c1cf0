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

#include "quant/quantized_weight.h"

namespace irq {

struct LinearImpl : torch::nn::Module {
  LinearImpl(int64_t in_features, int64_t out_features, bool bias, const torch::TensorOptions& options);
  // Registers an existing tensor as "weight" (tied lm_head: the same tensor as the embedding).
  explicit LinearImpl(const torch::Tensor& shared_weight);
  torch::Tensor forward(const torch::Tensor& x);  // (..., in) -> (..., out)
  // Replaces the weight by a frozen quantized one (the float weight is freed;
  // "weight" stays registered, empty). forward() dequantizes on the fly.
  void set_quantized(QuantizedWeight q);
  bool quantized() const { return quant != nullptr; }
  torch::Tensor effective_weight(torch::ScalarType dtype) const;  // dequantized or the weight
  // Adds a trainable LoRA (IEC-LoRA when iec) beside the frozen base, as
  // peft initialises it: lora_A kaiming-uniform(a = sqrt(5)), lora_B zeros,
  // scaling alpha / rank, IEC scalars 0. Parameter names follow PEFT
  // ("lora_A.weight", "lora_B.weight"; IEC: "iec_beta_a", "iec_beta_b").
  // Throws Error(kUsage) when IEC is on and the rank does not divide in/out.
  // qa_group > 0: QA-LoRA (Xu et al. 2023, as the authors' peft_utils_iec.py):
  // lora_A (r, in / qa_group) reads the sums of each group of qa_group input
  // columns (the INT base's quantization groups), xavier-uniform init; IEC's
  // paths stay on the full input. Throws when qa_group does not divide in.
  void enable_lora(int64_t rank, double alpha, bool iec, const torch::TensorOptions& options, uint64_t seed,
                   int64_t qa_group = 0);
  bool has_lora() const { return lora_A != nullptr; }
  // lora_A as a (r, in) matrix: QA-LoRA's A with each column repeated over its
  // group's qa_group input columns (x . that == group sums . A), else A itself.
  torch::Tensor lora_A_weight() const;
  torch::Tensor weight;  // (out, in); empty when quantized
  torch::Tensor bias;    // (out) or undefined
  std::shared_ptr<QuantizedWeight> quant;
  std::shared_ptr<LinearImpl> lora_A, lora_B;  // (r, in), (out, r)
  torch::Tensor iec_beta_a, iec_beta_b;        // 0-dim; undefined for plain LoRA
  torch::Tensor iec_G, iec_R;                  // fixed group-mean / repeat matrices (not parameters)
  double lora_scaling = 0;
  double lora_dropout = 0;  // on lora_A's input while training (lora_delta_dropout)
  int64_t qa_group = 0;     // QA-LoRA group (0: plain LoRA)
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
