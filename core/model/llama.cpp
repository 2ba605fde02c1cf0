// LLaMA decoder forward (transformers modeling_llama semantics).
#include "model/llama.h"

#include <ATen/Context.h>
#include <torch/nn/functional.h>

#include <mutex>

namespace irq {

namespace F = torch::nn::functional;

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& c, int64_t layer, const torch::TensorOptions& options)
    : layer_index(layer), num_heads(c.num_attention_heads), num_kv_heads(c.num_key_value_heads), head_dim(c.head_dim) {
  q_proj = register_module("q_proj", Linear(c.hidden_size, c.q_dim(), c.attention_bias, options));
  k_proj = register_module("k_proj", Linear(c.hidden_size, c.kv_dim(), c.attention_bias, options));
  v_proj = register_module("v_proj", Linear(c.hidden_size, c.kv_dim(), c.attention_bias, options));
  o_proj = register_module("o_proj", Linear(c.q_dim(), c.hidden_size, c.o_proj_bias, options));
  if (c.qk_norm) {
    q_norm = register_module("q_norm", RMSNorm(c.head_dim, c.rms_norm_eps, options));
    k_norm = register_module("k_norm", RMSNorm(c.head_dim, c.rms_norm_eps, options));
  }
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const StepContext& step) {
  const int64_t B = x.size(0), T = x.size(1);
  auto q = q_proj(x).view({B, T, num_heads, head_dim});     // (B, T, H, D)
  auto k = k_proj(x).view({B, T, num_kv_heads, head_dim});  // (B, T, KV, D)
  if (q_norm) {
    q = q_norm(q);
    k = k_norm(k);
  }
  q = q.transpose(1, 2);  // (B, H, T, D)
  k = k.transpose(1, 2);  // (B, KV, T, D)
  auto v = v_proj(x).view({B, T, num_kv_heads, head_dim}).transpose(1, 2);  // (B, KV, T, D)
  q = apply_rotary(q, step.cos, step.sin);
  k = apply_rotary(k, step.cos, step.sin);
  if (step.cache != nullptr) {
    auto& ck = step.cache->k[layer_index];
    auto& cv = step.cache->v[layer_index];
    ck.narrow(2, step.start, T).copy_(k);
    cv.narrow(2, step.start, T).copy_(v);
    k = ck.narrow(2, 0, step.start + T);  // (B, KV, S, D)
    v = cv.narrow(2, 0, step.start + T);
  }
  // Grouped-query attention inside SDPA (enable_gqa: kv head i serves query
  // heads i*groups .. i*groups+groups-1, HF's repeat_kv order), so the K/V
  // cache is never expanded to H heads per layer and step.
  const bool gqa = num_heads != num_kv_heads;
  const auto mask = step.mask.defined() ? std::optional<torch::Tensor>(step.mask) : std::nullopt;
  auto out = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/mask, /*dropout_p=*/0.0, /*is_causal=*/step.is_causal,
                                              /*scale=*/std::nullopt, /*enable_gqa=*/gqa);  // (B, H, T, D)
  out = out.transpose(1, 2).reshape({B, T, num_heads * head_dim});
  return o_proj(out);
}

LlamaMLPImpl::LlamaMLPImpl(const LlamaConfig& c, const torch::TensorOptions& options) {
  gate_proj = register_module("gate_proj", Linear(c.hidden_size, c.intermediate_size, c.mlp_bias, options));
  up_proj = register_module("up_proj", Linear(c.hidden_size, c.intermediate_size, c.mlp_bias, options));
  down_proj = register_module("down_proj", Linear(c.intermediate_size, c.hidden_size, c.mlp_bias, options));
}

torch::Tensor LlamaMLPImpl::forward(const torch::Tensor& x) { return down_proj(F::silu(gate_proj(x)) * up_proj(x)); }

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& c, int64_t layer, const torch::TensorOptions& options) {
  self_attn = register_module("self_attn", LlamaAttention(c, layer, options));
  mlp = register_module("mlp", LlamaMLP(c, options));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor& x, const StepContext& step) {
  auto h = x + self_attn(input_layernorm(x), step);
  return h + mlp(post_attention_layernorm(h));
}

namespace {

torch::Tensor generator_state(const torch::Device& device) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// Activation checkpointing of one decoder layer: the forward runs without
// recording the graph; the backward re-runs it with grad enabled from the
// saved input and back-propagates through it (parameters' gradients
// accumulate as usual). The device generator's state is saved with the input
// and put back for the re-run, so LoRA dropout draws the same masks twice
// (torch.utils.checkpoint's preserve_rng_state).
struct CheckpointFn : torch::autograd::Function<CheckpointFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, int64_t layer_ptr,
                               const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask, bool has_mask,
                               bool is_causal) {
    ctx->save_for_backward({x});
    ctx->saved_data["layer"] = layer_ptr;
    ctx->saved_data["cos"] = cos;
    ctx->saved_data["sin"] = sin;
    ctx->saved_data["mask"] = mask;
    ctx->saved_data["has_mask"] = has_mask;
    ctx->saved_data["is_causal"] = is_causal;
    ctx->saved_data["rng"] = generator_state(x.device());
    torch::NoGradGuard no_grad;
    StepContext step;
    step.cos = cos;
    step.sin = sin;
    if (has_mask) step.mask = mask;
    step.is_causal = is_causal;
    return reinterpret_cast<LlamaDecoderLayerImpl*>(layer_ptr)->forward(x, step);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    StepContext step;
    step.cos = ctx->saved_data["cos"].toTensor();
    step.sin = ctx->saved_data["sin"].toTensor();
    if (ctx->saved_data["has_mask"].toBool()) step.mask = ctx->saved_data["mask"].toTensor();
    step.is_causal = ctx->saved_data["is_causal"].toBool();
    auto* layer = reinterpret_cast<LlamaDecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
    torch::AutoGradMode enable(true);
    const auto now = generator_state(x.device());
    set_generator_state(x.device(), ctx->saved_data["rng"].toTensor());
    auto out = layer->forward(x, step);
    set_generator_state(x.device(), now);
    torch::autograd::backward({out}, {grads[0]});
    return {x.grad(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed_layer(const torch::Tensor& x, LlamaDecoderLayerImpl* layer, const StepContext& step) {
  // The graph must see the layer as differentiable even when its input is not
  // (a frozen embedding): otherwise the adapters inside get no gradient
  // (what HF's enable_input_require_grads is for).
  const torch::Tensor input = x.requires_grad() ? x : x.detach().requires_grad_(true);
  const bool has_mask = step.mask.defined();
  const auto mask = has_mask ? step.mask : torch::empty({0}, x.options().dtype(torch::kBool));
  return CheckpointFn::apply(input, reinterpret_cast<int64_t>(layer), step.cos, step.sin, mask, has_mask, step.is_causal);
}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c, const torch::TensorOptions& options) : config(c), rotary(c) {
  embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size, options));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) layers->push_back(LlamaDecoderLayer(c, l, options));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, options));
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor& input_ids, KvCache* cache, const torch::Tensor& key_mask) {
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  StepContext step;
  step.cache = cache;
  step.start = cache != nullptr ? cache->length : 0;
  const int64_t S = step.start + T;
  TORCH_CHECK(cache == nullptr || S <= cache->capacity(), "KV cache holds ", cache ? cache->capacity() : 0,
              " positions, ", S, " needed");
  const auto device = input_ids.device();
  std::tie(step.cos, step.sin) = rotary.cos_sin(step.start, T, device);

  const bool windowed = config.sliding_window && S > *config.sliding_window;
  if (key_mask.defined() || windowed || (step.start > 0 && T > 1)) {
    auto q_pos = torch::arange(step.start, S, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(1);
    auto k_pos = torch::arange(0, S, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(0);
    auto allowed = k_pos <= q_pos;  // (T, S)
    if (windowed) allowed = allowed.logical_and(k_pos > q_pos - *config.sliding_window);
    allowed = allowed.view({1, 1, T, S});
    if (key_mask.defined()) allowed = allowed.logical_and(key_mask.narrow(1, 0, S).to(torch::kBool).view({B, 1, 1, S}));
    step.mask = allowed;
  } else {
    step.is_causal = T > 1;
  }

  auto h = embed_tokens(input_ids);  // (B, T, C)
  const bool checkpoint = gradient_checkpointing && cache == nullptr && torch::GradMode::is_enabled();
  for (const auto& layer : *layers) {
    auto* l = layer->as<LlamaDecoderLayer>();
    h = checkpoint ? checkpointed_layer(h, l, step) : l->forward(h, step);
  }
  if (cache != nullptr) cache->length = S;
  return norm(h);
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& c, const torch::TensorOptions& options) : config(c) {
  model = register_module("model", LlamaModel(c, options));
  // Tied: one tensor under both names, as transformers ties them.
  lm_head = register_module("lm_head", c.tie_word_embeddings
                                           ? Linear(model->embed_tokens->weight)
                                           : Linear(c.hidden_size, c.vocab_size, /*bias=*/false, options));
}

torch::Tensor LlamaForCausalLMImpl::forward(const torch::Tensor& input_ids, KvCache* cache, const torch::Tensor& key_mask,
                                            bool last_only) {
  auto h = model(input_ids, cache, key_mask);
  if (last_only) h = h.narrow(1, h.size(1) - 1, 1);
  return lm_head(h);
}

KvCache LlamaForCausalLMImpl::make_cache(int64_t batch, int64_t capacity) const {
  return KvCache::allocate(config, batch, capacity, options());
}

torch::TensorOptions LlamaForCausalLMImpl::options() const {
  const auto& w = model->embed_tokens->weight;
  return torch::TensorOptions().dtype(w.scalar_type()).device(w.device());
}

}  // namespace irq
