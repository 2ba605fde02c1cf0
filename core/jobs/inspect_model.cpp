// The module tree of LlamaForCausalLM (model/llama.cpp's registration order
// and names) built from the config, filled from the checkpoint headers.
#include "jobs/inspect_model.h"

#include <chrono>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/checkpoint.h"
#include "model/llama_config.h"
#include "quant/quant_checkpoint.h"
#include "quant/quant_format.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

struct Inspector {
  const fs::path& dir;
  const LlamaConfig& c;
  const CheckpointWeights& weights;
  std::set<std::string> quantized;
  std::string quant_name;  // "ICQ-NF4", ...
  QuantSettings quant_settings;
  std::map<std::string, std::vector<int64_t>> quant_shapes;
  std::set<std::string> used;
  std::map<std::string, int64_t> dtype_params;

  static int64_t numel(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
  }

  // A parameter of the model: checked against the checkpoint, counted once.
  void param(ModuleNode& node, const std::string& key, const std::vector<int64_t>& shape, bool is_weight) {
    const std::string full = node.name + "." + key;
    if (is_weight && quantized.count(full)) {
      const auto it = quant_shapes.find(full);
      if (it == quant_shapes.end() || it->second != shape)
        throw make_error(ErrorKind::kInvalidInput, (dir / "irqlora_quant.json").string(),
                         "'" + full + "' has shape " + shape_to_string(it == quant_shapes.end() ? std::vector<int64_t>{} : it->second) +
                             " but config.json implies " + shape_to_string(shape));
      node.weight_shape = shape;
      node.dtype = quant_name;
      node.params += numel(shape);
      dtype_params[quant_name] += numel(shape);
      for (const auto& part : checkpoint_part_suffixes(shape, quant_settings)) used.insert(full + "." + part);
      return;
    }
    const auto e = weights.find(full);
    if (!e.file) throw make_error(ErrorKind::kNotFound, dir.string(), "checkpoint has no tensor '" + full + "'");
    if (e.info->shape != shape)
      throw make_error(ErrorKind::kInvalidInput, e.file->path().string() + ": tensor '" + full + "'",
                       "has shape " + shape_to_string(e.info->shape) + " but config.json implies " + shape_to_string(shape));
    used.insert(full);
    node.params += numel(shape);
    dtype_params[dtype_name(e.info->dtype)] += numel(shape);
    if (is_weight) {
      node.weight_shape = shape;
      node.dtype = dtype_name(e.info->dtype);
    }
  }

  ModuleNode leaf(const std::string& parent, const std::string& name, const std::string& kind) {
    ModuleNode n;
    n.name = parent.empty() ? name : parent + "." + name;
    n.short_name = name;
    n.kind = kind;
    return n;
  }

  ModuleNode linear(const std::string& parent, const std::string& name, int64_t in, int64_t out, bool bias) {
    ModuleNode n = leaf(parent, name, "Linear");
    param(n, "weight", {out, in}, true);
    if (bias) param(n, "bias", {out}, false);
    return n;
  }

  ModuleNode norm(const std::string& parent, const std::string& name) {
    ModuleNode n = leaf(parent, name, "RMSNorm");
    param(n, "weight", {c.hidden_size}, true);
    return n;
  }

  static void add(ModuleNode& parent, ModuleNode child) {
    parent.params += child.params;
    parent.children.push_back(std::move(child));
  }

  ModuleNode layer(int64_t i) {
    ModuleNode l = leaf("model.layers", std::to_string(i), "LlamaDecoderLayer");
    ModuleNode attn = leaf(l.name, "self_attn", "LlamaAttention");
    add(attn, linear(attn.name, "q_proj", c.hidden_size, c.q_dim(), c.attention_bias));
    add(attn, linear(attn.name, "k_proj", c.hidden_size, c.kv_dim(), c.attention_bias));
    add(attn, linear(attn.name, "v_proj", c.hidden_size, c.kv_dim(), c.attention_bias));
    add(attn, linear(attn.name, "o_proj", c.q_dim(), c.hidden_size, c.o_proj_bias));
    if (c.qk_norm) {
      for (const char* n : {"q_norm", "k_norm"}) {
        ModuleNode norm_node = leaf(attn.name, n, "RMSNorm");
        param(norm_node, "weight", {c.head_dim}, true);
        add(attn, std::move(norm_node));
      }
    }
    add(l, std::move(attn));
    ModuleNode mlp = leaf(l.name, "mlp", "LlamaMLP");
    add(mlp, linear(mlp.name, "gate_proj", c.hidden_size, c.intermediate_size, c.mlp_bias));
    add(mlp, linear(mlp.name, "up_proj", c.hidden_size, c.intermediate_size, c.mlp_bias));
    add(mlp, linear(mlp.name, "down_proj", c.intermediate_size, c.hidden_size, c.mlp_bias));
    add(l, std::move(mlp));
    add(l, norm(l.name, "input_layernorm"));
    add(l, norm(l.name, "post_attention_layernorm"));
    return l;
  }

  ModuleNode root() {
    ModuleNode r = leaf("", "", "LlamaForCausalLM");
    r.name.clear();
    ModuleNode m = leaf("", "model", "LlamaModel");
    ModuleNode embed = leaf("model", "embed_tokens", "Embedding");
    param(embed, "weight", {c.vocab_size, c.hidden_size}, true);
    const std::string embed_dtype = embed.dtype;
    add(m, std::move(embed));
    ModuleNode layers = leaf("model", "layers", "ModuleList");
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) add(layers, layer(i));
    add(m, std::move(layers));
    add(m, norm("model", "norm"));
    add(r, std::move(m));
    if (c.tie_word_embeddings) {
      ModuleNode head = leaf("", "lm_head", "Linear");
      head.weight_shape = {c.vocab_size, c.hidden_size};
      head.tied = true;
      head.dtype = "tied";
      if (const auto e = weights.find("lm_head.weight"); e.file) {  // transformers ignores it too
        used.insert("lm_head.weight");
        head.dtype = dtype_name(e.info->dtype);
      }
      add(r, std::move(head));
    } else {
      add(r, linear("", "lm_head", c.hidden_size, c.vocab_size, false));
    }
    return r;
  }
};

void sum_linears(const ModuleNode& n, int64_t& total) {
  if (n.kind == "Linear" && n.name.rfind("model.layers.", 0) == 0) total += n.params;
  for (const auto& ch : n.children) sum_linears(ch, total);
}

std::string describe_tokenizer(const fs::path& dir) {
  if (fs::exists(dir / "tokenizer.json")) return "tokenizer.json";
  if (fs::exists(dir / "tokenizer.model")) return "tokenizer.model (sentencepiece)";
  return dir.string() + ": no tokenizer: neither tokenizer.json nor tokenizer.model is there";
}

}  // namespace

ModelSummary inspect_model(const fs::path& dir) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!fs::is_directory(dir)) throw make_error(ErrorKind::kNotFound, dir.string(), "not a model directory");
  const auto config = LlamaConfig::from_file(dir / "config.json");
  const auto weights = CheckpointWeights::open(dir);
  Inspector in{dir, config, weights, {}, {}, {}, {}, {}, {}};
  if (const auto meta = read_quant_meta(dir)) {  // the engine's quantized checkpoint
    in.quant_name = meta->settings.short_name();
    in.quant_settings = meta->settings;
    in.quantized.insert(meta->quantized.begin(), meta->quantized.end());
    in.quant_shapes = meta->shapes;
  }
  ModelSummary s;
  s.dir = fs::absolute(dir).lexically_normal().string();
  s.architecture = config.architecture;
  s.num_layers = config.num_hidden_layers;
  s.root = in.root();
  s.total_params = s.root.params;
  sum_linears(s.root, s.linear_params);
  s.num_tensors = static_cast<int64_t>(weights.names().size());
  s.checkpoint_bytes = weights.total_bytes();
  s.stored_dtype_params = in.dtype_params;
  s.tokenizer = describe_tokenizer(dir);
  for (const auto& n : weights.names())
    if (!in.used.count(n)) s.ignored_tensors.push_back(n);
  s.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace irq
