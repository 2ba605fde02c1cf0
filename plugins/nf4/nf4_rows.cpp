// NF4 / ICQ-NF4 rows dequantized from host pointers into float32, for the
// engine's quantized matmuls (quant/quantized_linear.h): the weight's
// element k is NF4[code_k] * absmax_b + tau_b with b = k / block (blocks run
// over the flattened (rows, cols) weight, as bitsandbytes lays them out),
// absmax_b = map[absmax_q[b]] * absmax_scale[b / group] + offset and
// tau_b = map[tau_q[b]] * tau_scale[b / group]. Multiply then add, each
// rounded to float32 (no FMA: -ffp-contract=off and no fma target), so the
// result equals nf4::dequantize and the torch-op reference bit for bit.
// An AVX2 path (chosen at run time) decodes 8 codes per step (two 8-entry
// level tables, permutevar + blend); the scalar loop beside it takes the
// edges and CPUs without AVX2. test_quantized_linear checks both against the
// torch-op dequantization, including rows that start inside a block.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "nf4_internal.h"
#include "quant/dynamic_map.h"
#include "quant/nf4_levels.h"
#include "quant/nibble_codes.h"

namespace irq::nf4 {

namespace {

struct BlockScale {
  float amax, tau;
};

BlockScale block_scale(const Nf4View& t, const std::array<float, 256>& map, int64_t b) {
  const int64_t g = b / t.settings->stats_block;
  BlockScale s;
  s.amax = map[t.absmax_q[b]] * t.absmax_scale[g] + t.absmax_offset;
  s.tau = t.tau_q ? map[t.tau_q[b]] * t.tau_scale[g] : 0.0f;
  return s;
}

// Elements [k0, k1) of one block, scalar.
void decode_scalar(const uint8_t* codes, int64_t k0, int64_t k1, BlockScale s, bool tau, float* out) {
  for (int64_t k = k0; k < k1; ++k) {
    const uint8_t byte = codes[k / 2];
    const uint8_t code = (k % 2 == 0) ? static_cast<uint8_t>(byte >> 4) : static_cast<uint8_t>(byte & 0x0f);
    const float w = kNf4Levels[code] * s.amax;
    out[k - k0] = tau ? w + s.tau : w;
  }
}

// Elements [k0, k0 + 8n) with k0 even: 8 codes (4 bytes, high nibble first) per step.
__attribute__((target("avx2"))) void decode_avx2(const uint8_t* codes, int64_t k0, int64_t n8, BlockScale s, bool tau,
                                                 float* out) {
  const __m256 lo = _mm256_loadu_ps(kNf4Levels.data()), hi = _mm256_loadu_ps(kNf4Levels.data() + 8);
  // Lane j holds the nibble of code j of a little-endian 32-bit word: byte j/2, high nibble first.
  const __m256i shifts = _mm256_setr_epi32(4, 0, 12, 8, 20, 16, 28, 24);
  const __m256i fifteen = _mm256_set1_epi32(15), seven = _mm256_set1_epi32(7);
  const __m256 amax = _mm256_set1_ps(s.amax), offset = _mm256_set1_ps(s.tau);
  const uint8_t* p = codes + k0 / 2;
  for (int64_t i = 0; i < n8; ++i, p += 4, out += 8) {
    int32_t word;
    std::memcpy(&word, p, 4);
    const __m256i idx = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(word), shifts), fifteen);
    const __m256 upper = _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, seven));
    const __m256 level = _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, idx), _mm256_permutevar8x32_ps(hi, idx), upper);
    __m256 w = _mm256_mul_ps(level, amax);
    if (tau) w = _mm256_add_ps(w, offset);
    _mm256_storeu_ps(out, w);
  }
}

// Elements [k0, k0 + 64n) with k0 even: one 16-entry level lookup (vpermps) per 16 codes.
__attribute__((target("avx512f,avx2"))) void decode_avx512(const uint8_t* codes, int64_t k0, int64_t n64, BlockScale s,
                                                           bool tau, float* out) {
  const __m512 levels = _mm512_loadu_ps(kNf4Levels.data());
  const __m512 amax = _mm512_set1_ps(s.amax), offset = _mm512_set1_ps(s.tau);
  const uint8_t* p = codes + k0 / 2;
  __m512i idx[4];
  for (int64_t i = 0; i < n64; ++i, p += 32, out += 64) {
    unpack_nibbles64(p, idx);
    for (int j = 0; j < 4; ++j) {
      __m512 w = _mm512_mul_ps(_mm512_permutexvar_ps(idx[j], levels), amax);
      if (tau) w = _mm512_add_ps(w, offset);
      _mm512_storeu_ps(out + 16 * j, w);
    }
  }
}

// Whole blocks [b0, b1) (block size a multiple of 64): the scales computed
// inline, one call for the range (per-block calls cost more than the decode).
__attribute__((target("avx512f,avx2"))) void decode_blocks_avx512(const Nf4View& t, int64_t b0, int64_t b1,
                                                                  float* out) {
  const auto& map = dynamic_map_8bit();
  const int64_t B = t.settings->block_size;
  const __m512 levels = _mm512_loadu_ps(kNf4Levels.data());
  const bool tau = t.tau_q != nullptr;
  const uint8_t* p = t.codes + b0 * B / 2;
  __m512i idx[4];
  for (int64_t b = b0; b < b1; ++b) {
    const BlockScale s = block_scale(t, map, b);
    const __m512 amax = _mm512_set1_ps(s.amax), offset = _mm512_set1_ps(s.tau);
    for (int64_t k = 0; k < B; k += 64, p += 32, out += 64) {
      unpack_nibbles64(p, idx);
      for (int j = 0; j < 4; ++j) {
        __m512 w = _mm512_mul_ps(_mm512_permutexvar_ps(idx[j], levels), amax);
        if (tau) w = _mm512_add_ps(w, offset);
        _mm512_storeu_ps(out + 16 * j, w);
      }
    }
  }
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}


// The fused decode product for M inputs (template: the accumulators stay in registers).
template <int M, int kSplit = (M <= 2 ? 4 : M <= 4 ? 2 : 1)>
struct RowsDot {
  __attribute__((target("avx512f,avx2"))) static void run(const Nf4View& t, int64_t row0, int64_t count,
                                                          const float* x, const float* xsum, float* y, int64_t ldy) {
    const auto& map = dynamic_map_8bit();
    const int64_t B = t.settings->block_size, K = t.cols, nb = K / B;
    const __m512 levels = _mm512_loadu_ps(kNf4Levels.data());
    const bool tau = t.tau_q != nullptr;
    __m512i idx[4];
    for (int64_t r = row0; r < row0 + count; ++r) {
      __m512 total[M];
      float tau_total[M];
      for (int m = 0; m < M; ++m) total[m] = _mm512_setzero_ps(), tau_total[m] = 0;
      const uint8_t* p = t.codes + r * K / 2;
      for (int64_t j = 0; j < nb; ++j) {
        const BlockScale s = block_scale(t, map, r * nb + j);
        // kSplit independent accumulators per input: a single chain of FMAs
        // would wait on its own latency (4 per 64 weights for one input).
        __m512 acc[M][kSplit];
        for (int m = 0; m < M; ++m)
          for (int h = 0; h < kSplit; ++h) acc[m][h] = _mm512_setzero_ps();
        for (int64_t k = j * B; k < (j + 1) * B; k += 64, p += 32) {
          unpack_nibbles64(p, idx);
          for (int q = 0; q < 4; ++q) {
            const __m512 level = _mm512_permutexvar_ps(idx[q], levels);
            for (int m = 0; m < M; ++m)
              acc[m][q % kSplit] = _mm512_fmadd_ps(level, _mm512_loadu_ps(x + m * K + k + 16 * q), acc[m][q % kSplit]);
          }
        }
        const __m512 amax = _mm512_set1_ps(s.amax);
        for (int m = 0; m < M; ++m) {
          __m512 a = acc[m][0];
          for (int h = 1; h < kSplit; ++h) a = _mm512_add_ps(a, acc[m][h]);
          total[m] = _mm512_fmadd_ps(a, amax, total[m]);
          if (tau) tau_total[m] += s.tau * xsum[m * nb + j];
        }
      }
      for (int m = 0; m < M; ++m) y[m * ldy + r] = _mm512_reduce_add_ps(total[m]) + tau_total[m];
    }
  }
};

}  // namespace

bool rows_dot(const Nf4View& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y, int64_t ldy) {
  const int64_t B = t.settings->block_size, K = t.cols;
  if (!cpu_has_avx512() || M < 1 || M > 8 || B % 64 != 0 || K % B != 0) return false;
  // Per input, per block of a row: the sum of x, for the tau term (unused without tau).
  const auto xsum = t.tau_q ? span_sums(x, M, K, B) : std::vector<float>(static_cast<size_t>(M * (K / B)), 0.0f);
  run_for_inputs<RowsDot>(M, t, row0, count, x, xsum.data(), y, ldy);
  return true;
}

void dequantize_rows(const Nf4View& t, int64_t row0, int64_t count, float* out) {
  const int64_t B = t.settings->block_size;
  const int64_t e0 = row0 * t.cols, e1 = std::min(t.numel, (row0 + count) * t.cols);
  const auto& map = dynamic_map_8bit();
  const bool tau = t.tau_q != nullptr;
  const bool simd = cpu_has_avx2(), wide = cpu_has_avx512();
  if (wide && B % 64 == 0 && e0 % B == 0 && (e1 - e0) % B == 0) {  // rows of whole blocks (cols % B == 0)
    decode_blocks_avx512(t, e0 / B, e1 / B, out);
    return;
  }
  for (int64_t k = e0; k < e1;) {
    const int64_t b = k / B, end = std::min(e1, (b + 1) * B);
    const BlockScale s = block_scale(t, map, b);
    int64_t from = k;
    if (wide && from % 2 == 0 && end - from >= 64) {
      const int64_t n64 = (end - from) / 64;
      decode_avx512(t.codes, from, n64, s, tau, out + (from - e0));
      from += 64 * n64;
    }
    if (simd && from % 2 == 0 && end - from >= 8) {
      const int64_t n8 = (end - from) / 8;
      decode_avx2(t.codes, from, n8, s, tau, out + (from - e0));
      from += 8 * n8;
    }
    decode_scalar(t.codes, from, end, s, tau, out + (from - e0));
    k = end;
  }
}

}  // namespace irq::nf4
