// ICQ-NF4 candidate search: the reference (candidate by candidate, as the
// oracle) and the fast sorted sweep. Both exact in float32.
#include <algorithm>
#include <array>

#include "nf4_internal.h"
#include "quant/nf4_levels.h"

namespace irq::nf4 {

std::vector<float> icq_factors(double lambda, int n) {
  const int num = 2 * n + 1;
  const double start = -lambda * kNf4Sigma, stop = lambda * kNf4Sigma;
  const double step = (stop - start) / (num - 1);
  std::vector<float> f(static_cast<size_t>(num));
  for (int i = 0; i < num; ++i) f[static_cast<size_t>(i)] = static_cast<float>(i == num - 1 ? stop : i * step + start);
  return f;
}

float encode_block(const float* w, int64_t B, float tau, uint8_t* codes) {
  float absmax = 0.0f;
  for (int64_t j = 0; j < B; ++j) absmax = std::max(absmax, std::fabs(w[j] - tau));
  const float inv = 1.0f / (absmax > 0.0f ? absmax : 1.0f);
  for (int64_t j = 0; j < B; ++j) codes[j] = static_cast<uint8_t>(nf4_code((w[j] - tau) * inv));
  return absmax;
}

namespace {

float block_entropy(const float* w, int64_t B, float tau, const EntropyTable& table, uint8_t* scratch) {
  encode_block(w, B, tau, scratch);
  std::array<int32_t, 16> counts{};
  for (int64_t j = 0; j < B; ++j) ++counts[scratch[j]];
  return table.entropy(counts.data(), 16);
}

float lower_median(const float* w, int64_t B, float* scratch) {
  std::copy(w, w + B, scratch);
  std::nth_element(scratch, scratch + (B - 1) / 2, scratch + B);
  return scratch[(B - 1) / 2];
}

// Sorted block s[0..B) and the 15 boundary positions p[m] = #{k : y(s_k) <= t_m},
// y(v) = f32(f32(v - tau) * inv): codes are monotone in v, so counts follow from p.
struct Sweep {
  const float* s;
  int64_t B;
  std::array<int64_t, 15> p{};

  float evaluate(float tau, const EntropyTable& table) {
    const float hi = std::fabs(s[B - 1] - tau), lo = std::fabs(s[0] - tau);
    const float absmax = std::max(hi, lo);
    const float inv = 1.0f / (absmax > 0.0f ? absmax : 1.0f);
    int64_t floor = 0;
    for (int m = 0; m < 15; ++m) {
      const float t = kNf4Thresholds[static_cast<size_t>(m)];
      int64_t q = std::max(p[static_cast<size_t>(m)], floor);
      while (q < B && (s[q] - tau) * inv <= t) ++q;
      while (q > floor && (s[q - 1] - tau) * inv > t) --q;
      p[static_cast<size_t>(m)] = q;
      floor = q;
    }
    std::array<int64_t, 16> counts{};
    counts[0] = p[0];
    for (int m = 1; m < 15; ++m) counts[static_cast<size_t>(m)] = p[static_cast<size_t>(m)] - p[static_cast<size_t>(m) - 1];
    counts[15] = B - p[14];
    return table.entropy(counts.data(), 16);
  }
};

}  // namespace

void search_ref(const float* blocks, int64_t B, int64_t begin, int64_t end, const std::vector<float>& factors,
                const EntropyTable& table, BlockChoice* out) {
  std::vector<uint8_t> codes(static_cast<size_t>(B));
  std::vector<float> scratch(static_cast<size_t>(B));
  for (int64_t b = begin; b < end; ++b) {
    const float* w = blocks + b * B;
    BlockChoice& c = out[b];
    c.entropy_plain = block_entropy(w, B, 0.0f, table, codes.data());
    const float tau0 = lower_median(w, B, scratch.data());
    float span = 0.0f;
    for (int64_t j = 0; j < B; ++j) span = std::max(span, std::fabs(w[j] - tau0));
    for (size_t i = 0; i < factors.size(); ++i) {
      const float tau = factors[i] * span + tau0;
      const float h = block_entropy(w, B, tau, table, codes.data());
      if (i == 0 || h > c.entropy) {
        c.entropy = h;
        c.tau = tau;
        c.candidate = static_cast<int32_t>(i);
      }
    }
  }
}

void search_fast(const float* blocks, int64_t B, int64_t begin, int64_t end, const std::vector<float>& factors,
                 const EntropyTable& table, BlockChoice* out) {
  std::vector<float> s(static_cast<size_t>(B));
  for (int64_t b = begin; b < end; ++b) {
    const float* w = blocks + b * B;
    std::copy(w, w + B, s.begin());
    std::sort(s.begin(), s.end());
    Sweep sweep{s.data(), B};
    BlockChoice& c = out[b];
    c.entropy_plain = sweep.evaluate(0.0f, table);
    const float tau0 = s[static_cast<size_t>((B - 1) / 2)];
    const float span = std::max(std::fabs(s[static_cast<size_t>(B - 1)] - tau0), std::fabs(s[0] - tau0));
    for (size_t i = 0; i < factors.size(); ++i) {
      const float tau = factors[i] * span + tau0;
      const float h = sweep.evaluate(tau, table);
      if (i == 0 || h > c.entropy) {
        c.entropy = h;
        c.tau = tau;
        c.candidate = static_cast<int32_t>(i);
      }
    }
  }
}

}  // namespace irq::nf4
