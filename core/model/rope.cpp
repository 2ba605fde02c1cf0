// RoPE frequency tables (transformers modeling_rope_utils) and application.
#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace irq {

namespace {

torch::Tensor base_inv_freq(double base, int64_t dim) {
  // 1 / base^(arange(0, dim, 2) / dim), in float32 as transformers computes it.
  auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<float>(dim);
  return 1.0 / torch::pow(base, exponents);
}

torch::Tensor llama3_inv_freq(const torch::Tensor& inv_freq, const RopeScaling& s) {
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_len / s.low_freq_factor;
  const double high_freq_wavelen = old_len / s.high_freq_factor;
  auto wavelen = 2 * M_PI / inv_freq;
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  auto smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  auto medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(const LlamaConfig& config) : config_(config) {
  inv_freq_ = base_inv_freq(config.rope_theta, config.head_dim);
  if (config.rope_scaling) {
    const auto& s = *config.rope_scaling;
    if (s.rope_type == "linear") inv_freq_ = inv_freq_ / s.factor;
    if (s.rope_type == "llama3") inv_freq_ = llama3_inv_freq(inv_freq_, s);
  }
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::compute(const torch::Tensor& inv_freq, int64_t start, int64_t length,
                                                                 const torch::Device& device) const {
  auto positions = torch::arange(start, start + length, torch::kInt64).to(torch::kFloat32);
  auto freqs = torch::outer(positions, inv_freq);  // (T, D/2)
  auto emb = torch::cat({freqs, freqs}, /*dim=*/-1).to(device);
  return {emb.cos(), emb.sin()};
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::cos_sin(int64_t start, int64_t length,
                                                                 const torch::Device& device) const {
  const int64_t total = start + length;
  if (config_.rope_scaling && config_.rope_scaling->rope_type == "dynamic" && total > config_.max_position_embeddings) {
    // Dynamic NTK: the base grows with the sequence length (not cached).
    const double factor = config_.rope_scaling->factor;
    const double dim = static_cast<double>(config_.head_dim);
    const double base = config_.rope_theta *
                        std::pow(factor * total / config_.max_position_embeddings - (factor - 1), dim / (dim - 2));
    return compute(base_inv_freq(base, config_.head_dim), start, length, device);
  }
  // Each entry is float32(position) * inv_freq, the same product a per-step
  // table forms; cos/sin of it are computed once per position and device.
  std::lock_guard<std::mutex> lock(cache_->mutex);
  Tables& t = cache_->by_device[device.str()];
  if (t.length < total) {
    t.length = std::max<int64_t>(total, std::min<int64_t>(2 * t.length, config_.max_position_embeddings));
    std::tie(t.cos, t.sin) = compute(inv_freq_, 0, t.length, device);
  }
  return {t.cos.narrow(0, start, length), t.sin.narrow(0, start, length)};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, half);
  auto rotated = torch::cat({-x2, x1}, /*dim=*/-1);
  auto c = cos.to(x.scalar_type());
  auto s = sin.to(x.scalar_type());
  return x * c + rotated * s;
}

}  // namespace irq
