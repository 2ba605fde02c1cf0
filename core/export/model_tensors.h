// The Hugging Face tensors of a loaded (possibly quantized, possibly
// adapted) model, as exporters see them: name, shape, and a function giving
// the float32 CPU value — for a projection, the dequantized base plus the
// merged adapter update scaling * B'A' (IEC folded: A' = A + beta_a G,
// B' = B + beta_b R). lm_head.weight is left out when tied to the embedding.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/model_loader.h"

namespace irq {

struct ModelTensor {
  std::string name;             // HF name, e.g. model.layers.0.self_attn.q_proj.weight
  std::vector<int64_t> shape;
  LinearImpl* linear = nullptr;  // set for projection weights
  std::function<torch::Tensor()> value;  // float32, CPU, contiguous
};

// merge_adapters: fold each layer's LoRA/IEC-LoRA into its weight.
std::vector<ModelTensor> model_tensors(LoadedModel& model, bool merge_adapters);

// The adapter-carrying projections, by module name, in model order.
std::vector<std::pair<std::string, LinearImpl*>> adapted_linears(LoadedModel& model);

}  // namespace irq
