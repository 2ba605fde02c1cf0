// HF tensors of a loaded model with adapters merged (see model_tensors.h).
#include "export/model_tensors.h"

#include "lora/lora_adapter.h"
#include "model/layers.h"

namespace irq {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

torch::Tensor merged_weight(LinearImpl* l, bool merge) {
  torch::NoGradGuard no_grad;
  auto w = l->effective_weight(torch::kFloat32);
  if (const LoraAdapter* lora = lora_of(*l); merge && lora) w = w + lora->merged_delta(torch::kFloat32);
  return w.to(torch::kCPU).contiguous();
}

}  // namespace

std::vector<std::pair<std::string, LinearImpl*>> adapted_linears(LoadedModel& model) {
  std::vector<std::pair<std::string, LinearImpl*>> out;
  for (const auto& m : model.model->named_modules("", /*include_self=*/false))
    if (auto* l = m.value()->as<LinearImpl>(); l && lora_of(*l)) out.emplace_back(m.key(), l);
  return out;
}

std::vector<ModelTensor> model_tensors(LoadedModel& model, bool merge_adapters) {
  std::vector<ModelTensor> out;
  auto cpu32 = [](const torch::Tensor& t) { return [t] { return t.detach().to(torch::kCPU, torch::kFloat32).contiguous(); }; };
  for (const auto& m : model.model->named_modules("", /*include_self=*/false)) {
    const std::string& name = m.key();
    if (ends_with(name, ".lora_A") || ends_with(name, ".lora_B")) continue;
    if (name == "lm_head" && model.config.tie_word_embeddings) continue;
    if (auto* l = m.value()->as<LinearImpl>()) {
      const std::vector<int64_t> shape = {l->out_features, l->in_features};
      out.push_back({name + ".weight", shape, l, [l, merge_adapters] { return merged_weight(l, merge_adapters); }});
      if (l->bias.defined()) out.push_back({name + ".bias", l->bias.sizes().vec(), nullptr, cpu32(l->bias)});
    } else if (auto* e = m.value()->as<EmbeddingImpl>()) {
      out.push_back({name + ".weight", e->weight.sizes().vec(), nullptr, cpu32(e->weight)});
    } else if (auto* n = m.value()->as<RMSNormImpl>()) {
      out.push_back({name + ".weight", n->weight.sizes().vec(), nullptr, cpu32(n->weight)});
    }
  }
  return out;
}

}  // namespace irq
