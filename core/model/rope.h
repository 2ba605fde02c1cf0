// Rotary position embeddings in the Hugging Face rotate-half convention
// (transformers LlamaRotaryEmbedding + apply_rotary_pos_emb), with the
// default, linear, dynamic-NTK and llama3 frequency rules.
// cos/sin tables are computed once per device for the positions used so far
// and sliced per step (they were recomputed and copied every step).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <torch/types.h>

#include "model/llama_config.h"

namespace irq {

class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const LlamaConfig& config);
  // cos, sin of shape (T, D) for positions [start, start + length), in float32
  // on `device`. `total_length` drives dynamic NTK scaling.
  std::pair<torch::Tensor, torch::Tensor> cos_sin(int64_t start, int64_t length, const torch::Device& device) const;
  const torch::Tensor& inv_freq() const { return inv_freq_; }

 private:
  // cos, sin for positions [0, length) on one device, grown by doubling.
  struct Tables {
    int64_t length = 0;
    torch::Tensor cos, sin;  // (length, D) float32
  };
  struct Cache {
    std::mutex mutex;
    std::map<std::string, Tables> by_device;  // key: Device::str()
  };
  std::pair<torch::Tensor, torch::Tensor> compute(const torch::Tensor& inv_freq, int64_t start, int64_t length,
                                                  const torch::Device& device) const;
  LlamaConfig config_;
  torch::Tensor inv_freq_;  // (D/2) float32, CPU
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

// x (B, H, T, D); cos, sin (T, D): x * cos + rotate_half(x) * sin, in x's dtype.
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace irq
