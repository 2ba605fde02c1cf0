// Model -> GGUF (see gguf_export.h).
#include "export/gguf_export.h"

#include <cmath>
#include <regex>

#include <torch/torch.h>

#include "common/error.h"
#include "quant/quant_format.h"
#include "export/export_target.h"
#include "export/model_tensors.h"
#include "model/layers.h"
#include "quant/quantized_tensor.h"
#include "quant/quantized_weight.h"

namespace irq {

namespace {

GgufKv kv(const std::string& key, GgufValueType type, nlohmann::json value) { return {key, type, GgufValueType::kU32, std::move(value)}; }
GgufKv array(const std::string& key, GgufValueType element, nlohmann::json value) {
  return {key, GgufValueType::kArray, element, std::move(value)};
}

uint32_t file_type(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return 0;
    case GgmlType::kF16: return 1;
    case GgmlType::kQ4_1: return 3;
    case GgmlType::kQ8_0: return 7;
  }
  return 0;
}

std::vector<GgufKv> metadata(const LoadedModel& m, GgmlType type) {
  const auto& c = m.config;
  std::vector<GgufKv> out = {
      kv("general.architecture", GgufValueType::kString, "llama"),
      kv("general.name", GgufValueType::kString, m.dir.filename().string()),
      kv("general.file_type", GgufValueType::kU32, file_type(type)),
      kv("general.alignment", GgufValueType::kU32, 32),
      kv("llama.context_length", GgufValueType::kU32, c.max_position_embeddings),
      kv("llama.embedding_length", GgufValueType::kU32, c.hidden_size),
      kv("llama.block_count", GgufValueType::kU32, c.num_hidden_layers),
      kv("llama.feed_forward_length", GgufValueType::kU32, c.intermediate_size),
      kv("llama.rope.dimension_count", GgufValueType::kU32, c.head_dim),
      kv("llama.attention.head_count", GgufValueType::kU32, c.num_attention_heads),
      kv("llama.attention.head_count_kv", GgufValueType::kU32, c.num_key_value_heads),
      kv("llama.attention.layer_norm_rms_epsilon", GgufValueType::kF32, c.rms_norm_eps),
      kv("llama.rope.freq_base", GgufValueType::kF32, c.rope_theta),
      kv("llama.vocab_size", GgufValueType::kU32, c.vocab_size),
  };
  const RopeScaling rope = c.rope_scaling.value_or(RopeScaling{});
  if (rope.rope_type == "linear") {
    out.push_back(kv("llama.rope.scaling.type", GgufValueType::kString, "linear"));
    out.push_back(kv("llama.rope.scaling.factor", GgufValueType::kF32, rope.factor));
  } else if (rope.rope_type != "default" && rope.rope_type != "llama3") {
    throw make_error(ErrorKind::kUnsupported, (m.dir / "config.json").string(),
                     "rope_scaling " + rope.rope_type + " has no GGUF (llama) equivalent written by this tool");
  }
  if (c.model_type != "llama" && c.model_type != "mistral")
    throw make_error(ErrorKind::kUnsupported, (m.dir / "config.json").string(), "model_type " + c.model_type + " is not exported as GGUF \"llama\"");
  const Tokenizer& tok = m.require_tokenizer();
  if (!tok.has_sentencepiece_scores())
    throw make_error(ErrorKind::kUnsupported, (m.dir / "tokenizer.json").string(),
                     "GGUF export writes a sentencepiece (\"llama\") vocabulary; this " + tok.kind() +
                         " has no piece scores (add the model's tokenizer.model, or export another format)");
  if (tok.vocab_size() != c.vocab_size)
    throw make_error(ErrorKind::kInvalidInput, (m.dir / "tokenizer.model").string(),
                     "has " + std::to_string(tok.vocab_size()) + " pieces, config.json says vocab_size " + std::to_string(c.vocab_size));
  nlohmann::json tokens = nlohmann::json::array(), scores = nlohmann::json::array(), types = nlohmann::json::array();
  int64_t unk = 0;
  for (int64_t i = 0; i < tok.vocab_size(); ++i) {
    tokens.push_back(tok.piece(i));
    scores.push_back(tok.score(i));
    types.push_back(tok.token_type(i));
    if (tok.token_type(i) == 2) unk = i;
  }
  out.push_back(kv("tokenizer.ggml.model", GgufValueType::kString, "llama"));
  out.push_back(array("tokenizer.ggml.tokens", GgufValueType::kString, std::move(tokens)));
  out.push_back(array("tokenizer.ggml.scores", GgufValueType::kF32, std::move(scores)));
  out.push_back(array("tokenizer.ggml.token_type", GgufValueType::kI32, std::move(types)));
  out.push_back(kv("tokenizer.ggml.bos_token_id", GgufValueType::kU32, tok.bos_id()));
  out.push_back(kv("tokenizer.ggml.eos_token_id", GgufValueType::kU32, tok.eos_id()));
  out.push_back(kv("tokenizer.ggml.unknown_token_id", GgufValueType::kU32, unk));
  out.push_back(kv("tokenizer.ggml.add_bos_token", GgufValueType::kBool, true));
  return out;
}

// attn_q / attn_k head count for the permutation (0 for other tensors).
int64_t qk_heads(const std::string& hf_name, const LlamaConfig& c) {
  if (hf_name.find("self_attn.q_proj.") != std::string::npos) return c.num_attention_heads;  // weight and bias
  if (hf_name.find("self_attn.k_proj.") != std::string::npos) return c.num_key_value_heads;
  return 0;
}

// INT4 group-32 codes of a projection as Q4_1 blocks (rows permuted when n_head > 0).
std::vector<uint8_t> q4_1_of(const LinearImpl& l, const std::string& name, int64_t n_head) {
  const QuantizedTensor q = quantized_weight(l)->to_host();
  const int64_t rows = q.rows(), cols = q.cols();
  AffineGroups g = require_quant_format(q.settings.method).affine_groups(q);  // check_q4_1 made sure it has them
  auto codes = torch::from_blob(g.codes.data(), {rows, cols}, torch::kUInt8).clone();
  auto scale = torch::from_blob(g.scale.data(), {rows, cols / 32}, torch::kFloat32).clone();
  auto zero = torch::from_blob(g.zero.data(), {rows, cols / 32}, torch::kFloat32).clone();
  if (n_head > 0) {
    const auto perm = gguf_qk_row_permutation(rows, n_head);
    codes = codes.index_select(0, perm);
    scale = scale.index_select(0, perm);
    zero = zero.index_select(0, perm);
  }
  (void)name;
  return encode_q4_1(codes.contiguous(), scale.reshape({-1}), (-zero * scale).reshape({-1}));
}

// Q4_1 carries INT4 group-32 codes unchanged: every decoder projection must
// be quantized so (embeddings and an untied lm_head go as F16).
void check_q4_1(LoadedModel& model) {
  for (const auto& t : model_tensors(model, false)) {
    if (!t.linear) continue;
    const auto& l = *t.linear;
    if (l.has_adapter())
      throw make_error(ErrorKind::kUsage, "--format gguf --gguf-type q4_1",
                       "cannot carry an adapter (the INT4 codes are exported unchanged); export merged weights as f16/q8_0, or without --adapter");
    const bool projection = t.name.rfind("model.layers.", 0) == 0;
    const QuantizedWeight* base = quantized_weight(l);
    if (!base && !projection) continue;
    // Q4_1 blocks: 32 four-bit codes with a scale and a minimum (a zero point).
    if (!base || !require_quant_format(base->settings.method).affine_groups || base->settings.bits != 4 || base->settings.block_size != 32)
      throw make_error(ErrorKind::kUsage, "--format gguf --gguf-type q4_1",
                       t.name + " is not INT4 with group 32; quantize with --quant int4 --quant-group 32 first");
    if (t.shape[1] % 32 != 0) throw make_error(ErrorKind::kUsage, "--gguf-type q4_1", t.name + ": columns not a multiple of 32");
  }
}

// llama3 RoPE scaling as llama.cpp reads it: a rope_freqs tensor of
// per-frequency divisors (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors).
torch::Tensor llama3_rope_freqs(const LlamaConfig& c) {
  const RopeScaling r = c.rope_scaling.value_or(RopeScaling{});
  const double low_wavelen = static_cast<double>(r.original_max_position_embeddings) / r.low_freq_factor;
  const double high_wavelen = static_cast<double>(r.original_max_position_embeddings) / r.high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < c.head_dim; i += 2) {
    const float freq = 1.0f / std::pow(static_cast<float>(c.rope_theta), static_cast<float>(i) / static_cast<float>(c.head_dim));
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < high_wavelen) factors.push_back(1.0f);
    else if (wavelen > low_wavelen) factors.push_back(static_cast<float>(r.factor));
    else {
      const double smooth = (static_cast<double>(r.original_max_position_embeddings) / wavelen - r.low_freq_factor) /
                            (r.high_freq_factor - r.low_freq_factor);
      factors.push_back(static_cast<float>(1.0 / ((1 - smooth) / r.factor + smooth)));
    }
  }
  return torch::tensor(factors, torch::kFloat32);
}

}  // namespace

torch::Tensor gguf_qk_row_permutation(int64_t rows, int64_t n_head) {
  if (n_head <= 0 || rows % (2 * n_head) != 0) throw make_error(ErrorKind::kInvalidInput, "GGUF permute", "rows not divisible by 2 * heads");
  return torch::arange(rows, torch::kInt64).view({n_head, 2, rows / n_head / 2}).transpose(1, 2).reshape({-1});
}

std::string gguf_tensor_name(const std::string& hf) {
  static const std::vector<std::pair<std::string, std::string>> kLayer = {
      {"input_layernorm.weight", "attn_norm.weight"},   {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},     {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},      {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},         {"self_attn.v_proj.bias", "attn_v.bias"}};
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  if (hf == "rope_freqs.weight") return "rope_freqs.weight";
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+))");
  std::smatch m;
  if (std::regex_match(hf, m, layer))
    for (const auto& [from, to] : kLayer)
      if (m[2] == from) return "blk." + m[1].str() + "." + to;
  return "";
}

void export_gguf(LoadedModel& model, const std::filesystem::path& out, GgmlType type, const ExportOptions& options) {
  if (type == GgmlType::kQ4_1) check_q4_1(model);
  auto tensors = model_tensors(model, /*merge_adapters=*/type != GgmlType::kQ4_1);
  if (model.config.rope_scaling && model.config.rope_scaling->rope_type == "llama3") {
    const auto freqs = llama3_rope_freqs(model.config);
    tensors.push_back({"rope_freqs.weight", {freqs.numel()}, nullptr, [freqs] { return freqs; }});
  }
  std::vector<GgufTensorInfo> infos;
  uint64_t bytes = 0;
  for (const auto& t : tensors) {
    const std::string name = gguf_tensor_name(t.name);
    if (name.empty()) throw make_error(ErrorKind::kUnsupported, t.name, "has no GGUF (llama) counterpart");
    GgufTensorInfo info{name, std::vector<int64_t>(t.shape.rbegin(), t.shape.rend()), GgmlType::kF32, 0};
    if (t.shape.size() == 2) {
      info.type = type;
      if (type == GgmlType::kQ4_1 && !(t.linear && quantized_weight(*t.linear))) info.type = GgmlType::kF16;  // embeddings, lm_head
      if (type == GgmlType::kQ8_0 && t.shape[1] % 32 != 0) info.type = GgmlType::kF16;
    }
    bytes += ggml_bytes(info.type, info.numel());
    infos.push_back(std::move(info));
  }
  check_export_target(out, options.force, bytes);
  GgufWriter writer(out, metadata(model, type), infos);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (options.cancel) options.cancel->throw_if_cancelled("export " + out.string());
    const auto& t = tensors[i];
    const int64_t heads = qk_heads(t.name, model.config);
    std::vector<uint8_t> data;
    if (infos[i].type == GgmlType::kQ4_1) {
      data = q4_1_of(*t.linear, t.name, heads);
    } else {
      auto v = t.value();
      if (heads > 0) v = v.index_select(0, gguf_qk_row_permutation(v.size(0), heads)).contiguous();
      if (infos[i].type == GgmlType::kF32) data.assign(static_cast<uint8_t*>(v.data_ptr()), static_cast<uint8_t*>(v.data_ptr()) + v.numel() * 4);
      else if (infos[i].type == GgmlType::kF16) data = encode_f16(v);
      else data = encode_q8_0(v);
    }
    writer.write(infos[i].name, data.data(), data.size());
    if (options.progress) options.progress->progress("export", static_cast<int64_t>(i + 1), static_cast<int64_t>(tensors.size()));
  }
  writer.finish();
}

}  // namespace irq
