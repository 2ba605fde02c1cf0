// What the NF4 and INT plugins' AVX-512 CPU kernels share: 4-bit codes as
// the engine packs them (quantized_tensor.h: two per byte, high nibble
// first) unpacked 64 at a time, in element order; the per-span input sums
// of a blockwise decode product (its offset or zero term); and the choice of
// the product kernel instantiated for the number of inputs (1-8), which
// keeps one accumulator per input in registers.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <vector>

namespace irq {

__attribute__((target("avx512f,avx2"))) inline void unpack_nibbles64(const uint8_t* p, __m512i idx[4]) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i m = _mm256_set1_epi8(15);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m), lo = _mm256_and_si256(v, m);
  const __m256i a = _mm256_unpacklo_epi8(hi, lo);  // lane 0: codes 0-15 (bytes 0-7), lane 1: codes 32-47
  const __m256i b = _mm256_unpackhi_epi8(hi, lo);  // lane 0: codes 16-31, lane 1: codes 48-63
  idx[0] = _mm512_cvtepu8_epi32(_mm256_castsi256_si128(a));
  idx[1] = _mm512_cvtepu8_epi32(_mm256_castsi256_si128(b));
  idx[2] = _mm512_cvtepu8_epi32(_mm256_extracti128_si256(a, 1));
  idx[3] = _mm512_cvtepu8_epi32(_mm256_extracti128_si256(b, 1));
}

// sums[m * (cols / span) + j] = sum of x[m * cols + j * span ...][span]; cols % span == 0.
inline std::vector<float> span_sums(const float* x, int64_t M, int64_t cols, int64_t span) {
  const int64_t n = cols / span;
  std::vector<float> sums(static_cast<size_t>(M * n), 0.0f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = j * span; k < (j + 1) * span; ++k) sums[static_cast<size_t>(m * n + j)] += x[m * cols + k];
  return sums;
}

// Kernel<M>::run(t, row0, count, x, sums, y, ldy) for 1 <= M <= 8; t is
// the format's own view of the weight.
template <template <int> class Kernel, typename View>
void run_for_inputs(int64_t M, const View& t, int64_t row0, int64_t count, const float* x, const float* sums,
                    float* y, int64_t ldy) {
  switch (M) {
    case 1: return Kernel<1>::run(t, row0, count, x, sums, y, ldy);
    case 2: return Kernel<2>::run(t, row0, count, x, sums, y, ldy);
    case 3: return Kernel<3>::run(t, row0, count, x, sums, y, ldy);
    case 4: return Kernel<4>::run(t, row0, count, x, sums, y, ldy);
    case 5: return Kernel<5>::run(t, row0, count, x, sums, y, ldy);
    case 6: return Kernel<6>::run(t, row0, count, x, sums, y, ldy);
    case 7: return Kernel<7>::run(t, row0, count, x, sums, y, ldy);
    case 8: return Kernel<8>::run(t, row0, count, x, sums, y, ldy);
  }
}

inline bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
  return has;
}

}  // namespace irq
