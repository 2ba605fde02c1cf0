// The NF4 decode product on the GPU: y (M, rows) = x (M, cols) W^T for
// M <= 8 read straight from the packed codes (half a byte per weight, plus
// two bytes of 8-bit absmax/tau per 64), never a dequantized weight. A warp
// per two output rows; each lane takes 32 consecutive codes (16 bytes, half
// a block) of each row per step, so a warp reads 512 contiguous bytes a row. Within a block
// sum_k (L[c_k] amax + tau) x_k = amax sum_k L[c_k] x_k + tau sum_k x_k: two
// multiply-adds per weight and input row, accumulated in float32.
#include "nf4_cuda.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "nf4_cuda_tables.cuh"

namespace irq::nf4::cuda {

namespace {

constexpr int kWarpsPerCta = 4;
constexpr int kRowsPerWarp = 2;

template <typename T>
__device__ inline void load32(const T* x, float* out);

template <>
__device__ inline void load32<float>(const float* x, float* out) {
  const float4* v = reinterpret_cast<const float4*>(x);
  for (int i = 0; i < 8; ++i) {
    const float4 f = v[i];
    out[4 * i] = f.x;
    out[4 * i + 1] = f.y;
    out[4 * i + 2] = f.z;
    out[4 * i + 3] = f.w;
  }
}

template <>
__device__ inline void load32<__nv_bfloat16>(const __nv_bfloat16* x, float* out) {
  const uint4* v = reinterpret_cast<const uint4*>(x);
  for (int i = 0; i < 4; ++i) {
    const uint4 u = v[i];
    const uint32_t words[4] = {u.x, u.y, u.z, u.w};
    for (int j = 0; j < 4; ++j) {
      const float2 f = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&words[j]));
      out[8 * i + 2 * j] = f.x;
      out[8 * i + 2 * j + 1] = f.y;
    }
  }
}

template <typename T>
__device__ inline void store(T* y, float v) {
  *y = static_cast<T>(v);
}
template <>
__device__ inline void store<__nv_bfloat16>(__nv_bfloat16* y, float v) {
  *y = __float2bfloat16_rn(v);
}

// Levels of the 32 codes in a 16-byte piece (high nibble first).
__device__ inline void unpack32(const uint4& packed, const float* levels, float* lv) {
  const uint32_t words[4] = {packed.x, packed.y, packed.z, packed.w};
#pragma unroll
  for (int j = 0; j < 4; ++j)
#pragma unroll
    for (int b = 0; b < 4; ++b) {
      const uint32_t byte = (words[j] >> (8 * b)) & 0xffu;
      lv[8 * j + 2 * b] = levels[byte >> 4];
      lv[8 * j + 2 * b + 1] = levels[byte & 15u];
    }
}

// kRowsPerWarp rows per warp: their code loads are independent (more bytes
// in flight) and each input piece, read once, serves all of them.
template <typename T, int M>
__global__ void __launch_bounds__(kWarpsPerCta * 32) gemv_kernel(GemvWeight w, const T* __restrict__ x, T* __restrict__ y) {
  __shared__ float levels[16];
  __shared__ float map[256];
  for (int i = threadIdx.x; i < 256; i += blockDim.x) map[i] = c_map[i];
  if (threadIdx.x < 16) levels[threadIdx.x] = c_levels[threadIdx.x];
  __syncthreads();
  const int lane = threadIdx.x % 32;
  const int64_t row0 = (blockIdx.x * static_cast<int64_t>(kWarpsPerCta) + threadIdx.x / 32) * kRowsPerWarp;
  if (row0 >= w.rows) return;
  const int64_t halves = w.cols / 32;  // 32-code pieces per row
  float acc[kRowsPerWarp][M];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r)
#pragma unroll
    for (int m = 0; m < M; ++m) acc[r][m] = 0.0f;
  for (int64_t h = lane; h < halves; h += 32) {
    uint4 packed[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int64_t row = min(row0 + r, w.rows - 1);  // a missing last row repeats the previous one, never stored
      packed[r] = reinterpret_cast<const uint4*>(w.codes)[row * halves + h];
    }
    float amax[kRowsPerWarp], tau[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int64_t row = min(row0 + r, w.rows - 1), block = (row * halves + h) / 2, g = block / w.group;
      amax[r] = map[w.absmax_q[block]] * w.absmax_scale[g] + w.absmax_offset;
      tau[r] = w.tau_q ? map[w.tau_q[block]] * w.tau_scale[g] : 0.0f;
    }
    float lv[kRowsPerWarp][32];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) unpack32(packed[r], levels, lv[r]);
#pragma unroll
    for (int m = 0; m < M; ++m) {
      float xv[32];
      load32<T>(x + m * w.cols + h * 32, xv);
      float sx = 0.0f;
#pragma unroll
      for (int k = 0; k < 32; ++k) sx += xv[k];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        float s1 = 0.0f;
#pragma unroll
        for (int k = 0; k < 32; ++k) s1 = fmaf(lv[r][k], xv[k], s1);
        acc[r][m] = fmaf(amax[r], s1, fmaf(tau[r], sx, acc[r][m]));
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r)
#pragma unroll
    for (int m = 0; m < M; ++m) {
      float v = acc[r][m];
      for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      if (lane == 0 && row0 + r < w.rows) store<T>(y + m * w.rows + row0 + r, v);
    }
}

template <typename T>
void launch(const GemvWeight& w, const T* x, int64_t M, T* y, cudaStream_t s) {
  const int64_t rows_per_cta = kWarpsPerCta * kRowsPerWarp;
  const dim3 grid(static_cast<unsigned>((w.rows + rows_per_cta - 1) / rows_per_cta)), block(kWarpsPerCta * 32);
  switch (M) {
    case 1: gemv_kernel<T, 1><<<grid, block, 0, s>>>(w, x, y); break;
    case 2: gemv_kernel<T, 2><<<grid, block, 0, s>>>(w, x, y); break;
    case 3: gemv_kernel<T, 3><<<grid, block, 0, s>>>(w, x, y); break;
    case 4: gemv_kernel<T, 4><<<grid, block, 0, s>>>(w, x, y); break;
    case 5: gemv_kernel<T, 5><<<grid, block, 0, s>>>(w, x, y); break;
    case 6: gemv_kernel<T, 6><<<grid, block, 0, s>>>(w, x, y); break;
    case 7: gemv_kernel<T, 7><<<grid, block, 0, s>>>(w, x, y); break;
    case 8: gemv_kernel<T, 8><<<grid, block, 0, s>>>(w, x, y); break;
    default: throw make_error(ErrorKind::kUsage, "NF4 CUDA gemv", "at most 8 input rows");
  }
}

}  // namespace

void gemv(const GemvWeight& w, const void* x, int64_t M, void* y, bool bf16, void* stream) {
  if (w.cols % 64 != 0 || reinterpret_cast<uintptr_t>(x) % 16 != 0 || reinterpret_cast<uintptr_t>(w.codes) % 16 != 0)
    throw make_error(ErrorKind::kUsage, "NF4 CUDA gemv", "columns must be a multiple of 64 and inputs 16-byte aligned");
  upload_constants();
  auto s = static_cast<cudaStream_t>(stream);
  if (bf16)
    launch(w, static_cast<const __nv_bfloat16*>(x), M, static_cast<__nv_bfloat16*>(y), s);
  else
    launch(w, static_cast<const float*>(x), M, static_cast<float*>(y), s);
  check(cudaGetLastError(), "gemv_kernel");
}

}  // namespace irq::nf4::cuda
