// INT-k rows and the 4-bit decode product (int_rows.h). Codes are packed per
// quantized_tensor.h (slot bits per code, first code in the high bits); the
// weight is scale[r, g] * (code - zero[r, g]) in float32, subtract then
// multiply, as dequantize and the torch-op reference compute it.
#include "int_rows.h"

#include <vector>

#include "quant/nibble_codes.h"

namespace irq::intq {

namespace {

void dequantize_rows_scalar(const IntView& t, int64_t row0, int64_t count, float* out) {
  const int64_t cols = t.cols, G = t.settings->group_columns(t.cols), ngroups = (cols + G - 1) / G;
  const int slot = slot_bits(t.settings->bits), per_byte = 8 / slot, mask = (1 << slot) - 1;
  for (int64_t r = row0; r < row0 + count; ++r) {
    const float* scale = t.scale + r * ngroups;
    const float* zero = t.zero + r * ngroups;
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t e = r * cols + c;
      const int shift = 8 - slot * (1 + static_cast<int>(e % per_byte));
      const int code = (t.codes[e / per_byte] >> shift) & mask;
      *out++ = scale[c / G] * (static_cast<float>(code) - zero[c / G]);
    }
  }
}

// 4-bit codes, rows of whole 64-code chunks and whole groups, groups a multiple of 16.
bool wide_int4(const IntView& t) {
  const int64_t G = t.settings->group_columns(t.cols);
  return cpu_has_avx512() && t.settings->bits == 4 && G % 16 == 0 && t.cols % 64 == 0 && t.cols % G == 0;
}

__attribute__((target("avx512f,avx2"))) void dequantize_rows_avx512(const IntView& t, int64_t row0, int64_t count,
                                                                    float* out) {
  const int64_t cols = t.cols, G = t.settings->group_columns(t.cols), ngroups = cols / G;
  __m512i idx[4];
  for (int64_t r = row0; r < row0 + count; ++r) {
    const uint8_t* p = t.codes + r * cols / 2;
    const float* scale = t.scale + r * ngroups;
    const float* zero = t.zero + r * ngroups;
    for (int64_t c = 0; c < cols; c += 64, p += 32, out += 64) {
      unpack_nibbles64(p, idx);
      for (int j = 0; j < 4; ++j) {
        const int64_t g = (c + 16 * j) / G;
        const __m512 q = _mm512_sub_ps(_mm512_cvtepi32_ps(idx[j]), _mm512_set1_ps(zero[g]));
        _mm512_storeu_ps(out + 16 * j, _mm512_mul_ps(_mm512_set1_ps(scale[g]), q));
      }
    }
  }
}

// y = sum_g scale_g * (sum_k code_k x_k) - sum_g scale_g * zero_g * (sum_k x_k), per input.
template <int M>
struct RowsDot {
  __attribute__((target("avx512f,avx2"))) static void run(const IntView& t, int64_t row0, int64_t count,
                                                          const float* x, const float* xsum, float* y, int64_t ldy) {
    const int64_t K = t.cols, G = t.settings->group_columns(t.cols), ngroups = K / G;
    __m512i idx[4];
    for (int64_t r = row0; r < row0 + count; ++r) {
      const uint8_t* p = t.codes + r * K / 2;
      const float* scale = t.scale + r * ngroups;
      const float* zero = t.zero + r * ngroups;
      __m512 total[M], acc[M];
      float correction[M];
      for (int m = 0; m < M; ++m) total[m] = acc[m] = _mm512_setzero_ps(), correction[m] = 0;
      for (int64_t c = 0; c < K; c += 64, p += 32) {
        unpack_nibbles64(p, idx);
        for (int j = 0; j < 4; ++j) {
          const int64_t k = c + 16 * j;
          const __m512 q = _mm512_cvtepi32_ps(idx[j]);
          for (int m = 0; m < M; ++m) acc[m] = _mm512_fmadd_ps(q, _mm512_loadu_ps(x + m * K + k), acc[m]);
          if ((k + 16) % G == 0) {  // the group ends: apply its scale and zero
            const int64_t g = k / G;
            const __m512 s = _mm512_set1_ps(scale[g]);
            for (int m = 0; m < M; ++m) {
              total[m] = _mm512_fmadd_ps(acc[m], s, total[m]);
              acc[m] = _mm512_setzero_ps();
              correction[m] += scale[g] * zero[g] * xsum[m * ngroups + g];
            }
          }
        }
      }
      for (int m = 0; m < M; ++m) y[m * ldy + r] = _mm512_reduce_add_ps(total[m]) - correction[m];
    }
  }
};

}  // namespace

void dequantize_rows(const IntView& t, int64_t row0, int64_t count, float* out) {
  if (wide_int4(t)) dequantize_rows_avx512(t, row0, count, out);
  else dequantize_rows_scalar(t, row0, count, out);
}

bool rows_dot(const IntView& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y, int64_t ldy) {
  if (!wide_int4(t) || M < 1 || M > 8) return false;
  const int64_t K = t.cols, G = t.settings->group_columns(t.cols);
  const auto xsum = span_sums(x, M, K, G);  // per input, per group: the zero term's sum
  run_for_inputs<RowsDot>(M, t, row0, count, x, xsum.data(), y, ldy);
  return true;
}

}  // namespace irq::intq
