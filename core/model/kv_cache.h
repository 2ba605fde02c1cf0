// Preallocated key/value cache for incremental decoding: per layer
// k, v of shape (B, KV, S_max, D); `length` positions are filled.
#pragma once

#include <vector>

#include <torch/types.h>

#include "model/llama_config.h"

namespace irq {

struct KvCache {
  std::vector<torch::Tensor> k;  // per layer (B, KV, S_max, D)
  std::vector<torch::Tensor> v;
  int64_t length = 0;

  static KvCache allocate(const LlamaConfig& config, int64_t batch, int64_t capacity, const torch::TensorOptions& options) {
    KvCache c;
    for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
      c.k.push_back(torch::empty({batch, config.num_key_value_heads, capacity, config.head_dim}, options));
      c.v.push_back(torch::empty({batch, config.num_key_value_heads, capacity, config.head_dim}, options));
    }
    return c;
  }
  int64_t capacity() const { return k.empty() ? 0 : k[0].size(2); }
};

}  // namespace irq
