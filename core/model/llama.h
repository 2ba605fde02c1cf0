// LLaMA-family decoder (LLaMA, Mistral, Qwen2, Qwen3, SmolLM) in LibTorch,
// matching transformers' LlamaForCausalLM: RMSNorm, rotate-half RoPE,
// grouped-query attention, SwiGLU MLP, tied or untied lm_head, KV cache;
// Qwen3's per-head q_norm / k_norm (modeling_qwen3: RMSNorm over head_dim
// after the projection, before RoPE).
// Module and parameter names equal the HF tensor names
// ("model.layers.0.self_attn.q_proj.weight"), so loading needs no renaming.
//
// Shapes: B batch, T new positions, S = past + T key positions, C hidden,
// H query heads, KV key/value heads, D head dim, F intermediate, V vocab.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include "model/kv_cache.h"
#include "model/layers.h"
#include "model/llama_config.h"
#include "model/rope.h"

namespace irq {

// Everything a decoder layer needs about the current step.
struct StepContext {
  torch::Tensor cos, sin;  // (T, D) float32
  torch::Tensor mask;      // (B or 1, 1, T, S) bool, true = attend; undefined: see is_causal
  bool is_causal = false;  // no mask and T > 1 from position 0
  KvCache* cache = nullptr;
  int64_t start = 0;  // past length
};

struct LlamaAttentionImpl : torch::nn::Module {
  LlamaAttentionImpl(const LlamaConfig& config, int64_t layer_index, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const StepContext& step);  // (B, T, C) -> (B, T, C)
  Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};  // (D); Qwen3 only
  int64_t layer_index, num_heads, num_kv_heads, head_dim;
};
TORCH_MODULE(LlamaAttention);

struct LlamaMLPImpl : torch::nn::Module {
  LlamaMLPImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // down(silu(gate(x)) * up(x))
  Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMLP);

struct LlamaDecoderLayerImpl : torch::nn::Module {
  LlamaDecoderLayerImpl(const LlamaConfig& config, int64_t layer_index, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const StepContext& step);
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  LlamaMLP mlp{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// One decoder layer under activation checkpointing (see LlamaModelImpl).
torch::Tensor checkpointed_layer(const torch::Tensor& x, LlamaDecoderLayerImpl* layer, const StepContext& step);

struct LlamaModelImpl : torch::nn::Module {
  LlamaModelImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // input_ids (B, T) int64 -> final hidden states (B, T, C).
  // key_mask (B, S) bool, true for real tokens (padding excluded), optional.
  torch::Tensor forward(const torch::Tensor& input_ids, KvCache* cache = nullptr, const torch::Tensor& key_mask = {});
  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers;
  RMSNorm norm{nullptr};
  LlamaConfig config;
  RotaryEmbedding rotary;
  // Training without a cache: keep only each decoder layer's input and
  // recompute the layer in the backward pass (activation memory of one layer).
  bool gradient_checkpointing = false;
};
TORCH_MODULE(LlamaModel);

struct LlamaForCausalLMImpl : torch::nn::Module {
  LlamaForCausalLMImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  // Logits (B, T, V) in the model dtype; last_only: only (B, 1, V) for the
  // last position (generation, multiple-choice scoring).
  torch::Tensor forward(const torch::Tensor& input_ids, KvCache* cache = nullptr, const torch::Tensor& key_mask = {},
                        bool last_only = false);
  LlamaModel model{nullptr};
  Linear lm_head{nullptr};  // shares model.embed_tokens.weight when tied
  LlamaConfig config;

  KvCache make_cache(int64_t batch, int64_t capacity) const;
  torch::TensorOptions options() const;
};
TORCH_MODULE(LlamaForCausalLM);

}  // namespace irq
