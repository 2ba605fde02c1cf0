// CUDA kernels of the NF4 / ICQ-NF4 plugin: the ICQ search (one thread per
// block: sort the block, then walk the 15 code boundaries from candidate to
// candidate, as the CPU path's exact sweep), the final encode, and
// dequantization to float32/bfloat16 with 8 codes per thread.
#include "nf4_cuda.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "nf4_cuda_tables.cuh"

namespace irq::nf4::cuda {

namespace {

// RAII device buffer.
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  explicit DeviceBuffer(size_t n) { check(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T)), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

__global__ void fill_normal_kernel(float* w, int64_t n, uint64_t seed, float std) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  const uint64_t a = mix(seed + 0x9E3779B97F4A7C15ull * (2 * i + 1)), b = mix(seed + 0x9E3779B97F4A7C15ull * (2 * i + 2));
  const float u1 = (static_cast<float>(a >> 40) + 0.5f) * 0x1.0p-24f, u2 = static_cast<float>(b >> 40) * 0x1.0p-24f;
  w[i] = std * sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
}

__device__ inline float y_of(float v, float tau, float inv) { return __fmul_rn(__fsub_rn(v, tau), inv); }

// Entropy of the histogram given by boundaries p[0..14] (p[m] = #{y <= t_m}).
__device__ float entropy_of(const int* p, int B, const float* terms) {
  float h = terms[p[0]];
  for (int m = 1; m < 15; ++m) h = __fadd_rn(h, terms[p[m] - p[m - 1]]);
  return __fadd_rn(h, terms[B - p[14]]);
}

// Moves the boundaries to candidate `tau` on the sorted block s (exact).
__device__ float evaluate(const float* s, int B, float tau, int* p, const float* terms) {
  const float absmax = fmaxf(fabsf(__fsub_rn(s[B - 1], tau)), fabsf(__fsub_rn(s[0], tau)));
  const float inv = __fdiv_rn(1.0f, absmax > 0.0f ? absmax : 1.0f);
  int floor = 0;
  for (int m = 0; m < 15; ++m) {
    const float t = c_thresholds[m];
    int q = max(p[m], floor);
    while (q < B && y_of(s[q], tau, inv) <= t) ++q;
    while (q > floor && y_of(s[q - 1], tau, inv) > t) --q;
    p[m] = q;
    floor = q;
  }
  return entropy_of(p, B, terms);
}

__global__ void icq_search_kernel(const float* __restrict__ w, int64_t numel, int64_t nblocks, int B,
                                  const float* __restrict__ factors, int ncand, const float* __restrict__ terms_g,
                                  float* tau_out, int32_t* cand_out, float* hplain_out, float* h_out) {
  extern __shared__ float terms[];  // B + 1
  for (int i = threadIdx.x; i <= B; i += blockDim.x) terms[i] = terms_g[i];
  __syncthreads();
  const int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (b >= nblocks) return;
  float s[kMaxBlock];
  for (int k = 0; k < B; ++k) {
    const int64_t i = b * B + k;
    s[k] = i < numel ? w[i] : 0.0f;
  }
  for (int k = 1; k < B; ++k) {  // insertion sort (64 values)
    const float v = s[k];
    int j = k - 1;
    while (j >= 0 && s[j] > v) {
      s[j + 1] = s[j];
      --j;
    }
    s[j + 1] = v;
  }
  int p[15];
  for (int m = 0; m < 15; ++m) p[m] = 0;
  hplain_out[b] = evaluate(s, B, 0.0f, p, terms);
  const float tau0 = s[(B - 1) / 2];
  const float span = fmaxf(fabsf(__fsub_rn(s[B - 1], tau0)), fabsf(__fsub_rn(s[0], tau0)));
  float best = 0.0f, best_tau = 0.0f;
  int best_i = 0;
  for (int i = 0; i < ncand; ++i) {
    const float tau = __fadd_rn(__fmul_rn(factors[i], span), tau0);
    const float h = evaluate(s, B, tau, p, terms);
    if (i == 0 || h > best) {
      best = h;
      best_tau = tau;
      best_i = i;
    }
  }
  tau_out[b] = best_tau;
  cand_out[b] = best_i;
  h_out[b] = best;
}

__global__ void encode_kernel(const float* __restrict__ w, int64_t numel, int64_t nblocks, int B,
                              const float* __restrict__ tau, uint8_t* packed, float* absmax_out) {
  const int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (b >= nblocks) return;
  const float t = tau[b];
  float absmax = 0.0f;
  for (int k = 0; k < B; ++k) {
    const int64_t i = b * B + k;
    absmax = fmaxf(absmax, fabsf(__fsub_rn(i < numel ? w[i] : 0.0f, t)));
  }
  const float inv = __fdiv_rn(1.0f, absmax > 0.0f ? absmax : 1.0f);
  for (int k = 0; k < B; k += 2) {
    uint8_t byte = 0;
    for (int h = 0; h < 2; ++h) {
      const int64_t i = b * B + k + h;
      const float y = __fmul_rn(__fsub_rn(i < numel ? w[i] : 0.0f, t), inv);
      int c = 0;
      for (int m = 0; m < 15; ++m) c += y > c_thresholds[m];
      byte = static_cast<uint8_t>(byte | (h == 0 ? c << 4 : c));
    }
    packed[(b * B + k) / 2] = byte;
  }
  absmax_out[b] = absmax;
}

// 8 weights per thread from one 32-bit word of packed codes (B % 8 == 0).
// Output word i (of nwords, out[0 .. numel)) is the tensor's word
// word0 + (i / width) * stride + i % width: the whole tensor (width = nwords),
// or a window of rows and columns written row-major.
struct WordMap {
  int64_t word0, width, stride;
  __device__ int64_t operator()(int64_t i) const { return word0 + (i / width) * stride + i % width; }
};

template <typename T>
__global__ void dequant_kernel(const uint32_t* __restrict__ words, WordMap map, int64_t nwords, int64_t numel, int B,
                               int group, const uint8_t* __restrict__ absmax_q, const float* __restrict__ absmax_scale,
                               float offset, const uint8_t* __restrict__ tau_q, const float* __restrict__ tau_scale, T* out) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= nwords) return;
  const int64_t word_index = map(i);
  const int64_t first = i * 8, b = word_index * 8 / B, g = b / group;
  const float amax = __fadd_rn(__fmul_rn(c_map[absmax_q[b]], absmax_scale[g]), offset);
  const float tau = tau_q ? __fmul_rn(c_map[tau_q[b]], tau_scale[g]) : 0.0f;
  const uint32_t word = words[word_index];
  float v[8];
  for (int j = 0; j < 4; ++j) {
    const uint32_t byte = (word >> (8 * j)) & 0xffu;
    v[2 * j] = __fadd_rn(__fmul_rn(c_levels[byte >> 4], amax), tau);
    v[2 * j + 1] = __fadd_rn(__fmul_rn(c_levels[byte & 15u], amax), tau);
  }
  if (first + 8 <= numel) {
    if constexpr (sizeof(T) == 2) {
      __nv_bfloat162 packed4[4];
      for (int j = 0; j < 4; ++j) packed4[j] = __floats2bfloat162_rn(v[2 * j], v[2 * j + 1]);
      *reinterpret_cast<uint4*>(out + first) = *reinterpret_cast<const uint4*>(packed4);
    } else {
      reinterpret_cast<float4*>(out + first)[0] = make_float4(v[0], v[1], v[2], v[3]);
      reinterpret_cast<float4*>(out + first)[1] = make_float4(v[4], v[5], v[6], v[7]);
    }
  } else {
    for (int j = 0; j < 8 && first + j < numel; ++j) out[first + j] = static_cast<T>(v[j]);
  }
}

constexpr int kThreads = 128;

int64_t grid(int64_t n) { return (n + kThreads - 1) / kThreads; }

}  // namespace

bool available() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

std::string device_name() {
  cudaDeviceProp prop{};
  if (!available() || cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "";
  return prop.name;
}

void search(const float* w, int64_t numel, int B, const float* factors, int ncand, const float* terms, float* tau,
            int32_t* candidate, float* entropy_plain, float* entropy, void* stream) {
  if (B > kMaxBlock) throw make_error(ErrorKind::kUnsupported, "ICQ-NF4 CUDA search", "block size above 64");
  upload_constants();
  const int64_t nblocks = (numel + B - 1) / B;
  icq_search_kernel<<<grid(nblocks), kThreads, (B + 1) * sizeof(float), static_cast<cudaStream_t>(stream)>>>(
      w, numel, nblocks, B, factors, ncand, terms, tau, candidate, entropy_plain, entropy);
  check(cudaGetLastError(), "icq_search_kernel");
}

void encode(const float* w, int64_t numel, int B, const float* tau, uint8_t* packed, float* absmax, void* stream) {
  upload_constants();
  const int64_t nblocks = (numel + B - 1) / B;
  encode_kernel<<<grid(nblocks), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(w, numel, nblocks, B, tau, packed, absmax);
  check(cudaGetLastError(), "encode_kernel");
}

namespace {

void launch_dequant(const uint8_t* packed, WordMap map, int64_t numel, int B, int group, const uint8_t* absmax_q,
                    const float* absmax_scale, float absmax_offset, const uint8_t* tau_q, const float* tau_scale, void* out,
                    bool out_bf16, void* stream) {
  if (B % 8 != 0) throw make_error(ErrorKind::kUnsupported, "NF4 CUDA dequantize", "block size must be a multiple of 8");
  upload_constants();
  const int64_t nwords = (numel + 7) / 8;
  const auto* words = reinterpret_cast<const uint32_t*>(packed);
  auto s = static_cast<cudaStream_t>(stream);
  if (out_bf16)
    dequant_kernel<__nv_bfloat16><<<grid(nwords), kThreads, 0, s>>>(words, map, nwords, numel, B, group, absmax_q, absmax_scale,
                                                                    absmax_offset, tau_q, tau_scale,
                                                                    static_cast<__nv_bfloat16*>(out));
  else
    dequant_kernel<float><<<grid(nwords), kThreads, 0, s>>>(words, map, nwords, numel, B, group, absmax_q, absmax_scale,
                                                            absmax_offset, tau_q, tau_scale, static_cast<float*>(out));
  check(cudaGetLastError(), "dequant_kernel");
}

}  // namespace

void dequantize_window(const uint8_t* packed, int64_t cols, int64_t row0, int64_t rows, int64_t col0, int64_t width, int B,
                       int group, const uint8_t* absmax_q, const float* absmax_scale, float absmax_offset, const uint8_t* tau_q,
                       const float* tau_scale, void* out, bool out_bf16, void* stream) {
  if (cols % 8 != 0 || col0 % 8 != 0 || width % 8 != 0)
    throw make_error(ErrorKind::kUnsupported, "NF4 CUDA dequantize", "columns, first column and width must be multiples of 8");
  const WordMap map{(row0 * cols + col0) / 8, width / 8, cols / 8};
  launch_dequant(packed, map, rows * width, B, group, absmax_q, absmax_scale, absmax_offset, tau_q, tau_scale, out, out_bf16,
                 stream);
}

void dequantize(const uint8_t* packed, int64_t numel, int B, int group, const uint8_t* absmax_q, const float* absmax_scale,
                float absmax_offset, const uint8_t* tau_q, const float* tau_scale, void* out, bool out_bf16, void* stream) {
  const int64_t nwords = (numel + 7) / 8;
  launch_dequant(packed, WordMap{0, std::max<int64_t>(nwords, 1), 0}, numel, B, group, absmax_q, absmax_scale, absmax_offset,
                 tau_q, tau_scale, out, out_bf16, stream);
}

void search_host(const float* w, int64_t numel, int B, const std::vector<float>& factors, const std::vector<float>& terms,
                 std::vector<float>& tau, std::vector<int32_t>& candidate, std::vector<float>& entropy_plain,
                 std::vector<float>& entropy) {
  const int64_t nblocks = (numel + B - 1) / B;
  DeviceBuffer<float> d_w(static_cast<size_t>(numel)), d_f(factors.size()), d_t(terms.size());
  DeviceBuffer<float> d_tau(static_cast<size_t>(nblocks)), d_hp(static_cast<size_t>(nblocks)), d_h(static_cast<size_t>(nblocks));
  DeviceBuffer<int32_t> d_c(static_cast<size_t>(nblocks));
  check(cudaMemcpy(d_w.ptr, w, sizeof(float) * numel, cudaMemcpyHostToDevice), "copy weights");
  check(cudaMemcpy(d_f.ptr, factors.data(), sizeof(float) * factors.size(), cudaMemcpyHostToDevice), "copy factors");
  check(cudaMemcpy(d_t.ptr, terms.data(), sizeof(float) * terms.size(), cudaMemcpyHostToDevice), "copy terms");
  search(d_w.ptr, numel, B, d_f.ptr, static_cast<int>(factors.size()), d_t.ptr, d_tau.ptr, d_c.ptr, d_hp.ptr, d_h.ptr, nullptr);
  tau.resize(static_cast<size_t>(nblocks));
  candidate.resize(static_cast<size_t>(nblocks));
  entropy_plain.resize(static_cast<size_t>(nblocks));
  entropy.resize(static_cast<size_t>(nblocks));
  check(cudaMemcpy(tau.data(), d_tau.ptr, sizeof(float) * nblocks, cudaMemcpyDeviceToHost), "copy tau");
  check(cudaMemcpy(candidate.data(), d_c.ptr, sizeof(int32_t) * nblocks, cudaMemcpyDeviceToHost), "copy candidates");
  check(cudaMemcpy(entropy_plain.data(), d_hp.ptr, sizeof(float) * nblocks, cudaMemcpyDeviceToHost), "copy entropy");
  check(cudaMemcpy(entropy.data(), d_h.ptr, sizeof(float) * nblocks, cudaMemcpyDeviceToHost), "copy entropy");
}

void copy_to_host(const float* d, int64_t n, float* h, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  check(cudaMemcpyAsync(h, d, sizeof(float) * n, cudaMemcpyDeviceToHost, s), "copy to host");
  check(cudaStreamSynchronize(s), "copy to host");
}

void fill_normal(float* w, int64_t n, uint64_t seed, float std, void* stream) {
  fill_normal_kernel<<<grid(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(w, n, seed, std);
  check(cudaGetLastError(), "fill_normal_kernel");
}

}  // namespace irq::nf4::cuda
