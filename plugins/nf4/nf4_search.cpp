// ICQ-NF4 candidate search: the reference (candidate by candidate, as the
// oracle) and the fast sorted sweep. Both exact in float32.
#include <algorithm>
#include <array>
#include <cmath>

#include <immintrin.h>

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

void search_ref(const BlockSource& blocks, int64_t begin, int64_t end, const std::vector<float>& factors,
                const EntropyTable& table, BlockChoice* out) {
  const int64_t B = blocks.B;
  std::vector<uint8_t> codes(static_cast<size_t>(B));
  std::vector<float> scratch(static_cast<size_t>(B));
  for (int64_t b = begin; b < end; ++b) {
    const float* w = blocks.at(b);
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

std::vector<SearchPoint> search_curve(const float* w, int64_t B, const QuantSettings& s) {
  const EntropyTable table = EntropyTable::for_block(B, nullptr);
  std::vector<uint8_t> codes(static_cast<size_t>(B));
  std::vector<float> scratch(static_cast<size_t>(B));
  const float tau0 = lower_median(w, B, scratch.data());
  float span = 0.0f;
  for (int64_t j = 0; j < B; ++j) span = std::max(span, std::fabs(w[j] - tau0));
  std::vector<SearchPoint> out;
  for (float f : icq_factors(s.lambda, s.n)) {
    const float tau = f * span + tau0;
    out.push_back({tau, block_entropy(w, B, tau, table, codes.data())});
  }
  return out;
}

namespace {

// Boundary crossings in a sorted block. With tau_i increasing over candidates,
// y_k(i) = f32(f32(s_k - tau_i) * inv_i) is non-increasing in i (in real
// arithmetic; near a threshold one candidate step moves y by ~1e3 ulp at the
// default lambda and n, far more than the float32 rounding of y), so element
// k's code drops below threshold m at one candidate c_k, and c_k is
// non-decreasing in k. The histogram therefore changes only at those
// crossings: find them by binary search over candidates, then evaluate the
// entropy once per segment of candidates with an equal histogram.
struct Event {
  int32_t candidate;
  int32_t threshold;
};

// Per-block scratch, reused across blocks.
struct Scratch {
  std::vector<float> tau, inv;          // candidates, padded to a multiple of 8
  std::vector<Event> events, sorted;
  std::vector<uint8_t> first, last;     // codes at the first and last candidate
  std::vector<int32_t> bucket;          // counting sort by candidate
};

// First candidate i in [i0, N) with y(v, i) = f32(f32(v - tau_i) * inv_i) <= t,
// else N. tau/inv are padded to a multiple of 8 with entries that never match.
// SIMD lanes compute exactly the scalar float32 operations.
#if defined(__x86_64__)
__attribute__((target("avx2"))) int32_t first_at_or_below_avx2(float v, float t, const float* tau, const float* inv,
                                                                 int32_t i0, int32_t N) {
  const __m256 vv = _mm256_set1_ps(v), vt = _mm256_set1_ps(t);
  for (int32_t i = i0 & ~7; i < N; i += 8) {
    const __m256 y = _mm256_mul_ps(_mm256_sub_ps(vv, _mm256_loadu_ps(tau + i)), _mm256_loadu_ps(inv + i));
    unsigned mask = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(y, vt, _CMP_LE_OQ)));
    if (i < i0) mask &= ~0u << (i0 - i);
    if (mask) return std::min(N, i + __builtin_ctz(mask));
  }
  return N;
}
#endif

int32_t first_at_or_below_sse(float v, float t, const float* tau, const float* inv, int32_t i0, int32_t N) {
  const __m128 vv = _mm_set1_ps(v), vt = _mm_set1_ps(t);
  for (int32_t i = i0 & ~3; i < N; i += 4) {
    const __m128 y = _mm_mul_ps(_mm_sub_ps(vv, _mm_loadu_ps(tau + i)), _mm_loadu_ps(inv + i));
    unsigned mask = static_cast<unsigned>(_mm_movemask_ps(_mm_cmple_ps(y, vt)));
    if (i < i0) mask &= ~0u << (i0 - i);
    if (mask) return std::min(N, i + __builtin_ctz(mask));
  }
  return N;
}

using FirstFn = int32_t (*)(float, float, const float*, const float*, int32_t, int32_t);
const FirstFn first_at_or_below = [] {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return &first_at_or_below_avx2;
#endif
  return &first_at_or_below_sse;
}();

// NF4 codes of w[0..B) at one candidate, vectorizable over elements.
inline void codes_at(const float* w, int64_t B, float tau, float inv, uint8_t* out) {
  for (int64_t k = 0; k < B; ++k) {
    const float y = (w[k] - tau) * inv;
    int c = 0;
    for (float t : kNf4Thresholds) c += y > t;
    out[k] = static_cast<uint8_t>(c);
  }
}

bool search_events(const float* w, int64_t B, const std::vector<float>& factors, float tau0, float span, float wmin,
                   float wmax, const EntropyTable& table, BlockChoice& c, Scratch& sc) {
  const int32_t N = static_cast<int32_t>(factors.size());
  const int32_t padded = (N + 7) & ~7;
  sc.tau.resize(static_cast<size_t>(padded));
  sc.inv.resize(static_cast<size_t>(padded));
  float* tau = sc.tau.data();
  float* inv = sc.inv.data();
  for (int32_t i = 0; i < N; ++i) {
    const float t = factors[static_cast<size_t>(i)] * span + tau0;
    const float absmax = std::max(std::fabs(wmax - t), std::fabs(wmin - t));
    tau[i] = t;
    inv[i] = 1.0f / (absmax > 0.0f ? absmax : 1.0f);
  }
  for (int32_t i = 1; i < N; ++i)
    if (!(tau[i] > tau[i - 1])) return false;  // sub-ulp steps: monotonicity is not guaranteed
  for (int32_t i = N; i < padded; ++i) {  // never "found": y = +inf
    tau[i] = -INFINITY;
    inv[i] = 1.0f;
  }
  // Codes at the first and the last candidate; an element whose code drops
  // from a to b crosses thresholds a-1 .. b, at non-decreasing candidates.
  sc.first.resize(static_cast<size_t>(B));
  sc.last.resize(static_cast<size_t>(B));
  codes_at(w, B, tau[0], inv[0], sc.first.data());
  codes_at(w, B, tau[N - 1], inv[N - 1], sc.last.data());
  std::array<int64_t, 16> counts{};
  sc.events.clear();
  // The crossing of y = t in real arithmetic, tau* = (v - t wmax) / (1 - t)
  // while absmax = wmax - tau, else (v + t wmin) / (1 + t), gives a candidate
  // estimate; exact float32 steps from there find the first candidate.
  const double mid = 0.5 * (static_cast<double>(wmin) + wmax);
  const double f0 = factors[0], fstep = (static_cast<double>(factors[static_cast<size_t>(N) - 1]) - f0) / (N - 1);
  auto y = [&](float v, int32_t i) { return (v - tau[i]) * inv[i]; };
  for (int64_t k = 0; k < B; ++k) {
    const int a = sc.first[static_cast<size_t>(k)], b = sc.last[static_cast<size_t>(k)];
    ++counts[static_cast<size_t>(a)];
    int32_t lo = 1;
    for (int m = a - 1; m >= b; --m) {
      const float t = kNf4Thresholds[static_cast<size_t>(m)];
      double star = (w[k] - static_cast<double>(t) * wmax) / (1.0 - t);
      if (star > mid) star = (w[k] + static_cast<double>(t) * wmin) / (1.0 + t);
      const double guess = std::ceil(((star - tau0) / span - f0) / fstep);
      int32_t i = guess < lo ? lo : guess > N ? N : static_cast<int32_t>(guess);
      while (i > lo && y(w[k], i - 1) <= t) --i;
      while (i < N && y(w[k], i) > t) ++i;
      if (i == N) break;  // cannot happen when y is monotone; the exact recount below guards it
      sc.events.push_back({i, m});
      lo = i;
    }
  }

  // Events in candidate order (counting sort).
  sc.bucket.assign(static_cast<size_t>(N) + 1, 0);
  for (const Event& e : sc.events) ++sc.bucket[static_cast<size_t>(e.candidate) + 1];
  for (int32_t i = 0; i < N; ++i) sc.bucket[static_cast<size_t>(i) + 1] += sc.bucket[static_cast<size_t>(i)];
  sc.sorted.resize(sc.events.size());
  for (const Event& e : sc.events) sc.sorted[static_cast<size_t>(sc.bucket[static_cast<size_t>(e.candidate)]++)] = e;

  // Segments of equal histograms. The exact float32 entropy is summed only
  // where a double-precision running value comes within kMargin of the best:
  // 16 float32 roundings move the sum by < 4e-6, so the others cannot win.
  constexpr double kMargin = 1e-5;
  double running = 0;
  for (int v = 0; v < 16; ++v) running += table.term(counts[static_cast<size_t>(v)]);
  c.entropy = table.entropy(counts.data(), 16);
  c.candidate = 0;
  size_t e = 0;
  while (e < sc.sorted.size()) {
    const int32_t at = sc.sorted[e].candidate;
    for (; e < sc.sorted.size() && sc.sorted[e].candidate == at; ++e) {
      const size_t m = static_cast<size_t>(sc.sorted[e].threshold);
      // One element moves from code m + 1 to code m.
      running += static_cast<double>(table.term(counts[m] + 1)) - table.term(counts[m]);
      ++counts[m];
      running += static_cast<double>(table.term(counts[m + 1] - 1)) - table.term(counts[m + 1]);
      --counts[m + 1];
    }
    if (running + kMargin < c.entropy) continue;
    const float h = table.entropy(counts.data(), 16);
    if (h > c.entropy) {
      c.entropy = h;
      c.candidate = at;
    }
  }
  // The histogram at the last candidate must be the one computed directly.
  std::array<int64_t, 16> end_counts{};
  for (int64_t k = 0; k < B; ++k) ++end_counts[sc.last[static_cast<size_t>(k)]];
  if (end_counts != counts) return false;
  c.tau = tau[c.candidate];
  return true;
}

}  // namespace

void search_fast(const BlockSource& blocks, int64_t begin, int64_t end, const std::vector<float>& factors,
                 const EntropyTable& table, BlockChoice* out) {
  const int64_t B = blocks.B;
  std::vector<float> s(static_cast<size_t>(B));
  std::vector<uint8_t> codes(static_cast<size_t>(B));
  Scratch scratch;
  for (int64_t b = begin; b < end; ++b) {
    const float* w = blocks.at(b);
    BlockChoice& c = out[b];
    float wmin = w[0], wmax = w[0];
    for (int64_t k = 1; k < B; ++k) {
      wmin = std::min(wmin, w[k]);
      wmax = std::max(wmax, w[k]);
    }
    {  // plain NF4 (tau = 0)
      const float absmax = std::max(std::fabs(wmax), std::fabs(wmin));
      codes_at(w, B, 0.0f, 1.0f / (absmax > 0.0f ? absmax : 1.0f), codes.data());
      std::array<int64_t, 16> counts{};
      for (int64_t k = 0; k < B; ++k) ++counts[codes[static_cast<size_t>(k)]];
      c.entropy_plain = table.entropy(counts.data(), 16);
    }
    std::copy(w, w + B, s.begin());
    std::nth_element(s.begin(), s.begin() + (B - 1) / 2, s.end());
    const float tau0 = s[static_cast<size_t>((B - 1) / 2)];
    const float span = std::max(std::fabs(wmax - tau0), std::fabs(wmin - tau0));
    if (search_events(w, B, factors, tau0, span, wmin, wmax, table, c, scratch)) continue;
    // Degenerate block (zero span, sub-ulp candidate steps): walk every candidate on the sorted block.
    std::sort(s.begin(), s.end());
    Sweep sweep{s.data(), B};
    for (size_t i = 0; i < factors.size(); ++i) {
      const float t = factors[i] * span + tau0;
      const float h = sweep.evaluate(t, table);
      if (i == 0 || h > c.entropy) {
        c.entropy = h;
        c.tau = t;
        c.candidate = static_cast<int32_t>(i);
      }
    }
  }
}

}  // namespace irq::nf4
