// irqlora info MODEL_DIR: architecture, configuration, parameter counts,
// stored dtypes, the module tree and (--tensors) every checkpoint tensor,
// from config.json and the checkpoint headers alone (jobs/inspect_model.h):
// no tensor data is read, whatever the model's size.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "io/checkpoint.h"
#include "jobs/inspect_model.h"
#include "model/llama_config.h"
#include "model/model_summary.h"

namespace irq::cli {

namespace {

void print_tree(const ModuleNode& node, int depth, bool all_layers) {
  std::string label = std::string(static_cast<size_t>(2 * depth), ' ') + (node.short_name.empty() ? "(root)" : node.short_name);
  if (label.size() < 40) label.append(40 - label.size(), ' ');
  std::printf("%s %-16s %-14s %-6s %10s\n", label.c_str(), node.kind.c_str(),
              node.weight_shape.empty() ? "" : shape_to_string(node.weight_shape).c_str(),
              node.tied ? "tied" : node.dtype.c_str(), format_count(node.params).c_str());
  for (size_t i = 0; i < node.children.size(); ++i) {
    if (!all_layers && node.short_name == "layers" && i == 1 && node.children.size() > 2) {
      std::printf("%s... %zu more decoder layers of the same shape (--tree shows all)\n",
                  std::string(static_cast<size_t>(2 * depth + 2), ' ').c_str(), node.children.size() - 1);
      break;
    }
    print_tree(node.children[i], depth + 1, all_layers);
  }
}

nlohmann::json tree_json(const ModuleNode& n) {
  nlohmann::json j = {{"name", n.name}, {"kind", n.kind}, {"params", n.params}};
  if (!n.weight_shape.empty()) j["shape"] = n.weight_shape;
  if (!n.dtype.empty()) j["dtype"] = n.dtype;
  if (n.tied) j["tied"] = true;
  for (const auto& c : n.children) j["children"].push_back(tree_json(c));
  return j;
}

int run_info(const ParsedArgs& args) {
  const std::filesystem::path dir = args.positional.at(0);
  const auto s = inspect_model(dir);
  const auto c = LlamaConfig::from_file(dir / "config.json");
  if (args.flag("json")) {
    nlohmann::json j = {{"dir", s.dir},
                        {"architecture", s.architecture},
                        {"config", c.to_json()},
                        {"total_params", s.total_params},
                        {"linear_params", s.linear_params},
                        {"num_tensors", s.num_tensors},
                        {"checkpoint_bytes", s.checkpoint_bytes},
                        {"stored_dtype_params", s.stored_dtype_params},
                        {"tokenizer", s.tokenizer},
                        {"modules", tree_json(s.root)}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model          %s\n", s.dir.c_str());
  std::printf("architecture   %s (%s)\n", s.architecture.c_str(), c.model_type.c_str());
  std::printf("layers         %lld, hidden %lld, intermediate %lld\n", (long long)c.num_hidden_layers,
              (long long)c.hidden_size, (long long)c.intermediate_size);
  std::printf("attention      %lld heads, %lld kv heads (%s), head_dim %lld\n", (long long)c.num_attention_heads,
              (long long)c.num_key_value_heads, c.num_kv_groups() > 1 ? "GQA" : "MHA", (long long)c.head_dim);
  std::printf("vocab          %lld, context %lld, tied embeddings %s\n", (long long)c.vocab_size,
              (long long)c.max_position_embeddings, c.tie_word_embeddings ? "yes" : "no");
  std::printf("rope           theta %g, scaling %s\n", c.rope_theta, c.rope_scaling ? c.rope_scaling->rope_type.c_str() : "none");
  std::printf("parameters     %s total (%lld), %s in decoder linear layers\n", format_count(s.total_params).c_str(),
              (long long)s.total_params, format_count(s.linear_params).c_str());
  std::printf("checkpoint     %lld tensors, %.2f MiB on disk, stored as", (long long)s.num_tensors,
              static_cast<double>(s.checkpoint_bytes) / (1 << 20));
  for (const auto& [dtype, n] : s.stored_dtype_params) std::printf(" %s (%s)", dtype.c_str(), format_count(n).c_str());
  std::printf("\ntokenizer      %s\n", s.tokenizer.c_str());
  std::printf("opened in      %.3f s (config.json and tensor headers; no tensor data read)\n\n", s.load_seconds);
  print_tree(s.root, 0, args.flag("tree"));
  if (!s.ignored_tensors.empty()) {
    std::printf("\nunused checkpoint tensors:");
    for (const auto& n : s.ignored_tensors) std::printf(" %s", n.c_str());
    std::printf("\n");
  }
  if (args.flag("tensors")) {
    const auto weights = CheckpointWeights::open(dir);
    std::printf("\n%-60s %-6s %s\n", "tensor", "dtype", "shape");
    for (const auto& n : weights.names()) {
      const auto e = weights.find(n);
      std::printf("%-60s %-6s %s\n", n.c_str(), dtype_name(e.info->dtype), shape_to_string(e.info->shape).c_str());
    }
  }
  return 0;
}

}  // namespace

Verb info_verb() {
  VerbSpec spec{"info", "MODEL_DIR", "architecture, tensors, parameter counts and dtypes of a model", {}, 1, 1};
  spec.options = {{"tree", "", "print every decoder layer of the module tree", ""},
                  {"tensors", "", "list every checkpoint tensor with dtype and shape", ""},
                  {"json", "", "print the summary as JSON", ""}};
  return {spec, &run_info};
}

}  // namespace irq::cli
