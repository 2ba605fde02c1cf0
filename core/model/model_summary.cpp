// Walks the LibTorch module tree of a LoadedModel into plain data.
#include "model/model_summary.h"

#include <cstdio>
#include <set>

#include "model/model_loader.h"
#include "runtime/runtime.h"

namespace irq {

namespace {

std::string clean_kind(const std::string& type_name) {
  std::string s = type_name;
  const auto colon = s.rfind("::");
  if (colon != std::string::npos) s = s.substr(colon + 2);
  if (s.size() > 4 && s.compare(s.size() - 4, 4, "Impl") == 0) s.resize(s.size() - 4);
  return s;
}

ModuleNode walk(const torch::nn::Module& module, const std::string& path, const std::string& short_name,
                const LoadedModel& loaded, std::set<const void*>& counted) {
  ModuleNode node;
  node.name = path;
  node.short_name = short_name;
  node.kind = clean_kind(module.name());
  for (const auto& p : module.named_parameters(/*recurse=*/false)) {
    const std::string full = path.empty() ? p.key() : path + "." + p.key();
    const bool first = counted.insert(p.value().unsafeGetTensorImpl()).second;
    if (first) node.params += p.value().numel();
    if (p.key() == "weight") {
      node.weight_shape = p.value().sizes().vec();
      node.tied = !first;
      auto it = loaded.stored_dtypes.find(full);
      node.dtype = it != loaded.stored_dtypes.end() ? it->second : (node.tied ? "tied" : "");
    }
  }
  if (const auto* linear = dynamic_cast<const LinearImpl*>(&module); linear && linear->has_frozen_weight()) {
    const auto& w = *linear->frozen_weight;
    node.weight_shape = w.weight_shape();
    node.params += linear->in_features * linear->out_features;
    node.dtype = w.label();
  }
  for (const auto& child : module.named_children()) {
    const std::string full = path.empty() ? child.key() : path + "." + child.key();
    node.children.push_back(walk(*child.value(), full, child.key(), loaded, counted));
    node.params += node.children.back().params;
  }
  return node;
}

void sum_linears(const ModuleNode& n, int64_t& total) {
  if (n.kind == "Linear" && n.name.rfind("model.layers.", 0) == 0) total += n.params;
  for (const auto& c : n.children) sum_linears(c, total);
}

}  // namespace

ModelSummary summarize(const LoadedModel& loaded) {
  ModelSummary s;
  s.dir = loaded.dir.string();
  s.architecture = loaded.config.architecture;
  s.num_layers = loaded.config.num_hidden_layers;
  std::set<const void*> counted;
  s.root = walk(*loaded.model, "", "", loaded, counted);
  s.root.kind = clean_kind(loaded.model->name());
  s.total_params = s.root.params;
  sum_linears(s.root, s.linear_params);
  s.num_tensors = static_cast<int64_t>(loaded.stored_dtypes.size());
  s.checkpoint_bytes = loaded.checkpoint_bytes;
  std::set<const void*> seen;
  for (const auto& p : loaded.model->named_parameters()) {
    if (!seen.insert(p.value().unsafeGetTensorImpl()).second) continue;  // tied: count once
    auto it = loaded.stored_dtypes.find(p.key());
    if (it != loaded.stored_dtypes.end() && p.value().numel() > 0) s.stored_dtype_params[it->second] += p.value().numel();
  }
  for (const auto& m : loaded.model->named_modules("", /*include_self=*/false))
    if (const auto* linear = m.value()->as<LinearImpl>(); linear && linear->has_frozen_weight())
      s.stored_dtype_params[linear->frozen_weight->label()] += linear->in_features * linear->out_features;
  s.tokenizer = loaded.tokenizer ? loaded.tokenizer->kind() + " (" + std::to_string(loaded.tokenizer->vocab_size()) + " tokens)"
                                 : loaded.tokenizer_error;
  const auto opts = loaded.model->options();
  s.compute_dtype = dtype_display_name(opts.dtype().toScalarType());
  s.device = opts.device().str();
  s.ignored_tensors = loaded.ignored_tensors;
  s.load_seconds = loaded.open_seconds + loaded.load_seconds;
  return s;
}

}  // namespace irq
