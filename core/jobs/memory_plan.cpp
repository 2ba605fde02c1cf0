// The memory model: every term is computed from the config and the formats.
#include "jobs/memory_plan.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "common/error.h"
#include "model/llama_config.h"
#include "quant/model_quantizer.h"
#include "quant/quant_checkpoint.h"
#include "quant/quant_format.h"
#include "quant/quant_settings.h"
#include "train/offload_layout.h"

namespace irq {

namespace {

struct Proj {
  std::string name;
  int64_t in, out;
};

std::vector<Proj> projections(const LlamaConfig& c, const std::vector<std::string>& names) {
  std::vector<Proj> out;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l)
    for (const auto& n : names) {
      Proj p{n, c.hidden_size, c.hidden_size};
      if (n == "q_proj") p.out = c.q_dim();
      else if (n == "k_proj" || n == "v_proj") p.out = c.kv_dim();
      else if (n == "o_proj") p.in = c.q_dim();
      else if (n == "gate_proj" || n == "up_proj") p.out = c.intermediate_size;
      else if (n == "down_proj") p.in = c.intermediate_size;
      else throw make_error(ErrorKind::kUsage, "targets", "unknown projection '" + n + "'");
      out.push_back(p);
    }
  return out;
}

}  // namespace

std::string format_bytes(double b) {
  char buf[32];
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  return buf;
}

MemoryPlan plan_memory(const MemoryPlanRequest& r) {
  const auto c = LlamaConfig::from_file(r.model_dir / "config.json");
  if (r.batch < 1 || r.seq < 1 || r.rank < 1 || r.eval_batch < 1)
    throw make_error(ErrorKind::kUsage, "plan", "batch, seq, rank and eval batch must be positive");
  const double d = r.dtype_bytes;
  const int64_t C = c.hidden_size, F = c.intermediate_size, V = c.vocab_size, L = c.num_hidden_layers;
  MemoryPlan p;

  // Frozen base.
  const auto all = projections(c, {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"});
  double base_proj = 0, largest = 0;
  for (const auto& pr : all) {
    const double numel = static_cast<double>(pr.in) * static_cast<double>(pr.out);
    largest = std::max(largest, numel);
    p.base_params += pr.in * pr.out;
    if (r.quant.empty()) {
      base_proj += numel * d;
      continue;
    }
    QuantSettings s = QuantSettings::for_method(r.quant);
    s.block_size = r.quant_group;
    s.icq = r.icq;
    // Resident, not stored: what the format holds in memory (plain NF4 keeps
    // a zero tau for its kernels, quantized_tensor.h).
    for (const auto& part : held_parts({pr.out, pr.in}, s))
      base_proj += static_cast<double>(part.bytes());
  }
  const double norms = static_cast<double>(L * 2 * C + C + (c.qk_norm ? L * 2 * c.head_dim : 0));
  const double others = (static_cast<double>(V) * C * (c.tie_word_embeddings ? 1 : 2) + norms) * d;
  p.base_params += V * C * (c.tie_word_embeddings ? 1 : 2) + static_cast<int64_t>(norms);
  const std::string base_name = r.quant.empty() ? "frozen base projections (compute dtype)" : "frozen base projections (" + r.quant + (r.icq ? ", ICQ" : "") + ", packed)";
  const double dequant = r.quant.empty() ? 0 : 2 * largest * d;  // forward and backward each dequantize one weight

  // Adapters: A (r, in), B (out, r) in float32; gradients; AdamW m and v.
  double adapter = 0;
  std::set<int64_t> ins, outs;
  for (const auto& pr : projections(c, r.targets)) {
    adapter += static_cast<double>(r.rank * (pr.in + pr.out) + (r.iec ? 2 : 0));
    ins.insert(pr.in);
    outs.insert(pr.out);
  }
  p.adapter_params = static_cast<int64_t>(adapter);
  double iec_fixed = 0;  // group-mean / repeat matrices, one per distinct shape
  if (r.iec) {
    for (int64_t in : ins) iec_fixed += static_cast<double>(r.rank * in) * 4;
    for (int64_t out : outs) iec_fixed += static_cast<double>(out * r.rank) * 4;
  }

  // Activations (compute dtype) per token of one decoder layer's forward:
  // norm in, q, k, v, attention out, o, residual, norm, gate, up, silu, product, down.
  const double tokens = static_cast<double>(r.batch * r.seq);
  const double layer_acts = (4.0 * C + 2.0 * c.q_dim() + 2.0 * c.kv_dim() + 4.0 * F) * d +
                            static_cast<double>(r.rank) * 4 * static_cast<double>(r.targets.size());  // LoRA x A^T in fp32
  const double acts = r.checkpointing ? tokens * (static_cast<double>(L) * C * d + layer_acts)  // layer inputs + one layer recomputed
                                      : tokens * static_cast<double>(L) * layer_acts;
  const double logits = tokens * static_cast<double>(V) * (d + 4 + 4);  // logits, fp32 log-softmax, its gradient

  p.finetune = {{base_name, base_proj},
                {"frozen embeddings, lm_head, norms (compute dtype)", others},
                {"dequantized projection (forward + backward, one at a time)", dequant},
                {"adapters (float32)", adapter * 4},
                {"adapter gradients (float32)", adapter * 4},
                r.optimizer_offload ? MemoryItem{"AdamW moments streamed from host memory (chunk buffers)", offloaded_adamw_device_bytes()}
                                    : MemoryItem{"AdamW moments (2 x float32)", adapter * 8},
                {"IEC fixed matrices (shared per shape)", iec_fixed},
                {r.checkpointing ? "activations (layer inputs + one layer recomputed)" : "activations (every layer)", acts},
                {"logits and loss", logits}};

  // MMLU evaluation: the base, the KV cache of a batch, one layer's activations, last-position logits.
  const int64_t S = std::min<int64_t>(r.eval_seq > 0 ? r.eval_seq : 2048, c.max_position_embeddings);
  const double eval_tokens = static_cast<double>(r.eval_batch * S);
  const double kv = eval_tokens * static_cast<double>(L) * 2.0 * c.kv_dim() * d;
  // No graph is kept: within a layer at most the residual, the normed input,
  // and the MLP's gate, up and their product are alive at once.
  const double eval_acts = eval_tokens * (3.0 * C + 3.0 * F) * d;
  p.eval = {{base_name, base_proj},
            {"frozen embeddings, lm_head, norms (compute dtype)", others},
            {"dequantized projection (one at a time)", dequant / 2},
            {"adapter (if any, float32)", adapter * 4},
            {"KV cache (" + std::to_string(r.eval_batch) + " x " + std::to_string(S) + " tokens)", kv},
            {"activations (one layer)", eval_acts},
            {"logits (last position)", static_cast<double>(r.eval_batch) * V * 4}};
  if (r.optimizer_offload) p.finetune_host = {{"AdamW moments (2 x float32, pinned host memory)", adapter * 8}};
  for (const auto& i : p.finetune_host) p.finetune_host_bytes += i.bytes;
  for (const auto& i : p.finetune) p.finetune_bytes += i.bytes;
  for (const auto& i : p.eval) p.eval_bytes += i.bytes;
  return p;
}

}  // namespace irq
