// ICQ-NF4 quantization of a weight resident on the GPU, blocks of 64.
// One warp per block: the block is sorted in shared memory (bitonic, 21
// compare-exchange steps), each lane evaluates every 32nd candidate by
// finding the 15 code boundaries in the sorted block (binary search for its
// first candidate, then a walk from the previous one's), the warp
// keeps the first candidate with the highest entropy, then encodes the block
// with it (lane l holds weights 2l and 2l+1: coalesced loads, one packed
// byte per lane). Every float operation is the CPU path's, in its order
// (explicit _rn intrinsics, --fmad=false), so tau, codes and statistics are
// the CPU's bit for bit.
#include "nf4_cuda.h"

#include <cuda_runtime.h>

#include <chrono>
#include <climits>

#include "nf4_cuda_tables.cuh"

namespace irq::nf4::cuda {

namespace {

constexpr unsigned kFull = 0xffffffffu;
constexpr int kWarps = 8;  // blocks of weights per CTA
constexpr int kB = kDeviceBlock;

// Stream-ordered device buffer (cudaMallocAsync / cudaFreeAsync).
template <typename T>
struct StreamBuffer {
  T* ptr = nullptr;
  cudaStream_t stream;
  StreamBuffer(size_t n, cudaStream_t s) : stream(s) {
    check(cudaMallocAsync(reinterpret_cast<void**>(&ptr), std::max<size_t>(n, 1) * sizeof(T), s), "cudaMallocAsync");
  }
  ~StreamBuffer() { cudaFreeAsync(ptr, stream); }
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;
};

// The device's default pool (cudaMallocAsync) keeps what it has reserved
// instead of unmapping it at every synchronisation (its default threshold is
// 0): the buffers of the next weight reuse it.
void keep_pool_memory() {
  static std::set<int> done;
  once_per_device(done, [](int device) {
    cudaMemPool_t pool;
    check(cudaDeviceGetDefaultMemPool(&pool, device), "cudaDeviceGetDefaultMemPool");
    uint64_t keep = UINT64_MAX;
    check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep), "cudaMemPoolSetAttribute");
  });
}

template <typename T>
void to_host(std::vector<T>& out, const T* d, size_t n, cudaStream_t s) {
  out.resize(n);
  check(cudaMemcpyAsync(out.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost, s), "copy to host");
}
template <typename T>
void to_device(T* d, const std::vector<T>& in, cudaStream_t s) {
  check(cudaMemcpyAsync(d, in.data(), in.size() * sizeof(T), cudaMemcpyHostToDevice, s), "copy to device");
}

__device__ inline float y_of(float v, float tau, float inv) { return __fmul_rn(__fsub_rn(v, tau), inv); }

// Entropy of the codes of the sorted block s shifted by tau, summed as the
// CPU's entropy_of. p[m] = #{y <= t_m} (y is monotone in s): kBinary finds
// each boundary by binary search; otherwise it is walked from where p holds
// it for the lane's previous candidate (nearby: a lane's candidates are 32
// apart). Both give the same boundaries; p is updated.
template <bool kBinary>
__device__ float sorted_entropy(const float* s, float tau, int* p, const float* terms) {
  const float absmax = fmaxf(fabsf(__fsub_rn(s[kB - 1], tau)), fabsf(__fsub_rn(s[0], tau)));
  const float inv = __fdiv_rn(1.0f, absmax > 0.0f ? absmax : 1.0f);
  int floor = 0;
  float h = 0.0f;
#pragma unroll
  for (int m = 0; m < 15; ++m) {
    const float t = c_thresholds[m];
    int q;
    if (kBinary) {
      int lo = floor, hi = kB;
      while (lo < hi) {
        const int mid = (lo + hi) >> 1;
        if (y_of(s[mid], tau, inv) <= t) lo = mid + 1;
        else hi = mid;
      }
      q = lo;
    } else {
      q = max(p[m], floor);
      while (q < kB && y_of(s[q], tau, inv) <= t) ++q;
      while (q > floor && y_of(s[q - 1], tau, inv) > t) --q;
    }
    p[m] = q;
    h = m == 0 ? terms[q] : __fadd_rn(h, terms[q - floor]);
    floor = q;
  }
  return __fadd_rn(h, terms[kB - floor]);
}

// Ascending bitonic sort of s[0..64) by one warp (two elements per lane and step).
__device__ void warp_sort64(float* s, int lane) {
  for (int k = 2; k <= kB; k <<= 1)
    for (int j = k >> 1; j > 0; j >>= 1) {
      const int i = (lane / j) * 2 * j + lane % j, p = i + j;
      const bool up = (i & k) == 0;
      const float a = s[i], b = s[p];
      if ((a > b) == up) {
        s[i] = b;
        s[p] = a;
      }
      __syncwarp();
    }
}

__device__ inline int nf4_code(float y) {
  int c = 0;
  for (int m = 0; m < 15; ++m) c += y > c_thresholds[m];
  return c;
}

__global__ void __launch_bounds__(kWarps * 32) quantize_block64_kernel(const float* __restrict__ w, int64_t numel,
                                                                       int64_t nblocks, const float* __restrict__ factors,
                                                                       int ncand, bool icq, const float* __restrict__ terms_g,
                                                                       Block64Outputs out) {
  __shared__ float terms[kB + 1];
  __shared__ float sorted[kWarps][kB];
  __shared__ unsigned int cta_hist[16];
  for (int i = threadIdx.x; i <= kB; i += blockDim.x) terms[i] = terms_g[i];
  if (threadIdx.x < 16) cta_hist[threadIdx.x] = 0;
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t b = blockIdx.x * static_cast<int64_t>(kWarps) + warp;
  if (b < nblocks) {  // uniform over the warp
    const int64_t i0 = b * kB + 2 * lane;
    float w0 = 0.0f, w1 = 0.0f;
    if (i0 + 1 < numel) {
      const float2 v = *reinterpret_cast<const float2*>(w + i0);
      w0 = v.x;
      w1 = v.y;
    } else if (i0 < numel) {
      w0 = w[i0];
    }
    if (i0 < numel && !isfinite(w0)) atomicMin(out.first_bad, static_cast<long long>(i0));
    if (i0 + 1 < numel && !isfinite(w1)) atomicMin(out.first_bad, static_cast<long long>(i0 + 1));
    float tau = 0.0f, plain = 0.0f;
    int cand = -1;
    if (icq) {
      float* s = sorted[warp];
      s[2 * lane] = w0;
      s[2 * lane + 1] = w1;
      __syncwarp();
      warp_sort64(s, lane);
      int p[15];
      plain = sorted_entropy<true>(s, 0.0f, p, terms);
      const float tau0 = s[(kB - 1) / 2];
      const float span = fmaxf(fabsf(__fsub_rn(s[kB - 1], tau0)), fabsf(__fsub_rn(s[0], tau0)));
      float best = 0.0f, best_tau = 0.0f;
      int best_i = INT_MAX;
      for (int i = lane; i < ncand; i += 32) {
        const float t = __fadd_rn(__fmul_rn(factors[i], span), tau0);
        const float h = i == lane ? sorted_entropy<true>(s, t, p, terms) : sorted_entropy<false>(s, t, p, terms);
        if (best_i == INT_MAX || h > best) {
          best = h;
          best_tau = t;
          best_i = i;
        }
      }
      for (int o = 16; o > 0; o >>= 1) {  // highest entropy, then the lowest candidate index
        const float oh = __shfl_xor_sync(kFull, best, o), ot = __shfl_xor_sync(kFull, best_tau, o);
        const int oi = __shfl_xor_sync(kFull, best_i, o);
        if (oi != INT_MAX && (best_i == INT_MAX || oh > best || (oh == best && oi < best_i))) {
          best = oh;
          best_tau = ot;
          best_i = oi;
        }
      }
      tau = best_tau;
      cand = best_i;
    }
    float amax = fmaxf(fabsf(__fsub_rn(w0, tau)), fabsf(__fsub_rn(w1, tau)));
    for (int o = 16; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(kFull, amax, o));
    const float inv = __fdiv_rn(1.0f, amax > 0.0f ? amax : 1.0f);
    const int c0 = nf4_code(y_of(w0, tau, inv)), c1 = nf4_code(y_of(w1, tau, inv));
    out.packed[b * (kB / 2) + lane] = static_cast<uint8_t>(c0 << 4 | c1);
    float h = 0.0f;
    int mine = 0;
    for (int v = 0; v < 16; ++v) {
      const int count = __popc(__ballot_sync(kFull, c0 == v)) + __popc(__ballot_sync(kFull, c1 == v));
      h = __fadd_rn(h, terms[count]);
      if (lane == v) mine = count;
    }
    if (lane < 16) {
      atomicAdd(&cta_hist[lane], static_cast<unsigned int>(mine));
      if (out.histogram) out.histogram[b * 16 + lane] = static_cast<uint16_t>(mine);
    }
    if (lane == 0) {
      out.tau[b] = tau;
      out.candidate[b] = cand;
      out.entropy_plain[b] = icq ? plain : h;
      out.entropy[b] = h;
      out.absmax[b] = amax;
    }
  }
  __syncthreads();
  if (threadIdx.x < 16) atomicAdd(&out.code_histogram[threadIdx.x], static_cast<unsigned long long>(cta_hist[threadIdx.x]));
}

// Per block, in the CPU's order: sum of w^2 and of (w - dequant(w))^2 in
// float64, and their mean error as float32.
__global__ void block_error_kernel(const float* __restrict__ w, int64_t numel, int64_t nblocks, int group,
                                   const uint8_t* __restrict__ packed, const uint8_t* __restrict__ absmax_q,
                                   const float* __restrict__ absmax_scale, float offset, const uint8_t* __restrict__ tau_q,
                                   const float* __restrict__ tau_scale, double* w2, double* e2, float* mse) {
  __shared__ float map[256];
  for (int i = threadIdx.x; i < 256; i += blockDim.x) map[i] = c_map[i];
  __syncthreads();
  const int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (b >= nblocks) return;
  const int64_t g = b / group;
  const float amax = __fadd_rn(__fmul_rn(map[absmax_q[b]], absmax_scale[g]), offset);
  const float t = __fmul_rn(map[tau_q[b]], tau_scale[g]);
  const int64_t len = min(static_cast<int64_t>(kB), numel - b * kB);
  double sw = 0, se = 0;
  for (int64_t j = 0; j < len; ++j) {
    const uint8_t byte = packed[(b * kB + j) / 2];
    const int code = (j % 2 == 0) ? byte >> 4 : byte & 15;
    const double x = w[b * kB + j];
    const double e = __dsub_rn(x, static_cast<double>(__fadd_rn(__fmul_rn(c_levels[code], amax), t)));
    sw = __dadd_rn(sw, __dmul_rn(x, x));
    se = __dadd_rn(se, __dmul_rn(e, e));
  }
  w2[b] = sw;
  e2[b] = se;
  mse[b] = __double2float_rn(__ddiv_rn(se, static_cast<double>(len)));
}

}  // namespace

void search_encode64(const float* w, int64_t numel, const float* factors, int ncand, bool icq, const float* terms,
                     const Block64Outputs& out, void* stream) {
  upload_constants();
  const int64_t nblocks = (numel + kB - 1) / kB;
  quantize_block64_kernel<<<(nblocks + kWarps - 1) / kWarps, kWarps * 32, 0, static_cast<cudaStream_t>(stream)>>>(
      w, numel, nblocks, factors, icq ? ncand : 0, icq, terms, out);
  check(cudaGetLastError(), "quantize_block64_kernel");
}

void quantize_device(const float* w, int64_t numel, int group, const std::vector<float>& factors, bool icq,
                     const std::vector<float>& terms, bool keep_histograms, void* stream, DeviceQuantResult* r,
                     const std::function<void(DeviceQuantResult&)>& double_quantize) {
  if (terms.size() != kB + 1) throw make_error(ErrorKind::kUsage, "NF4 CUDA quantize", "entropy table must have 65 terms");
  if (reinterpret_cast<uintptr_t>(w) % 8 != 0) throw make_error(ErrorKind::kUsage, "NF4 CUDA quantize", "weight not 8-byte aligned");
  upload_constants();
  keep_pool_memory();
  auto s = static_cast<cudaStream_t>(stream);
  const int64_t nblocks = (numel + kB - 1) / kB, groups = (nblocks + group - 1) / group;
  const size_t nb = static_cast<size_t>(nblocks);
  StreamBuffer<float> d_f(factors.size(), s), d_terms(terms.size(), s), d_tau(nb, s), d_hp(nb, s), d_h(nb, s), d_amax(nb, s);
  StreamBuffer<int32_t> d_cand(nb, s);
  StreamBuffer<uint8_t> d_packed(nb * kB / 2, s);
  StreamBuffer<uint16_t> d_hist(keep_histograms ? nb * 16 : 1, s);
  StreamBuffer<unsigned long long> d_code_hist(16, s);
  StreamBuffer<long long> d_bad(1, s);
  if (!factors.empty()) to_device(d_f.ptr, factors, s);
  to_device(d_terms.ptr, terms, s);
  check(cudaMemsetAsync(d_bad.ptr, 0x7f, sizeof(long long), s), "memset");  // 0x7f7f...: above any index
  check(cudaMemsetAsync(d_code_hist.ptr, 0, 16 * sizeof(unsigned long long), s), "memset");
  const Block64Outputs out{d_tau.ptr, d_cand.ptr, d_hp.ptr, d_h.ptr, d_amax.ptr, d_packed.ptr,
                           keep_histograms ? d_hist.ptr : nullptr, d_code_hist.ptr, d_bad.ptr};
  const auto t0 = std::chrono::steady_clock::now();
  search_encode64(w, numel, d_f.ptr, static_cast<int>(factors.size()), icq, d_terms.ptr, out, stream);
  check(cudaStreamSynchronize(s), "quantize on the device");
  const auto t1 = std::chrono::steady_clock::now();
  long long bad = 0;
  check(cudaMemcpyAsync(&bad, d_bad.ptr, sizeof bad, cudaMemcpyDeviceToHost, s), "copy to host");
  std::vector<unsigned long long> code_hist;
  to_host(code_hist, d_code_hist.ptr, 16, s);
  to_host(r->codes, d_packed.ptr, nb * kB / 2, s);
  to_host(r->tau, d_tau.ptr, nb, s);
  to_host(r->candidate, d_cand.ptr, nb, s);
  to_host(r->entropy_plain, d_hp.ptr, nb, s);
  to_host(r->entropy, d_h.ptr, nb, s);
  to_host(r->absmax, d_amax.ptr, nb, s);
  if (keep_histograms) to_host(r->histogram, d_hist.ptr, nb * 16, s);
  check(cudaStreamSynchronize(s), "quantize on the device");
  const auto t2 = std::chrono::steady_clock::now();
  r->first_non_finite = bad == 0x7f7f7f7f7f7f7f7fLL ? -1 : bad;
  r->code_histogram.assign(code_hist.begin(), code_hist.end());
  if (r->first_non_finite >= 0) return;

  double_quantize(*r);
  const auto t3 = std::chrono::steady_clock::now();
  StreamBuffer<uint8_t> d_aq(nb, s), d_tq(nb, s);
  StreamBuffer<float> d_as(static_cast<size_t>(groups), s), d_ts(static_cast<size_t>(groups), s), d_mse(nb, s);
  StreamBuffer<double> d_w2(nb, s), d_e2(nb, s);
  to_device(d_aq.ptr, r->absmax_q, s);
  to_device(d_tq.ptr, r->tau_q, s);
  to_device(d_as.ptr, r->absmax_scale, s);
  to_device(d_ts.ptr, r->tau_scale, s);
  block_error_kernel<<<(nblocks + 127) / 128, 128, 0, s>>>(w, numel, nblocks, group, d_packed.ptr, d_aq.ptr, d_as.ptr,
                                                         r->absmax_offset, d_tq.ptr, d_ts.ptr, d_w2.ptr, d_e2.ptr, d_mse.ptr);
  check(cudaGetLastError(), "block_error_kernel");
  to_host(r->sum_w2, d_w2.ptr, nb, s);
  to_host(r->sum_err2, d_e2.ptr, nb, s);
  to_host(r->mse, d_mse.ptr, nb, s);
  check(cudaStreamSynchronize(s), "quantization errors on the device");
  const auto t4 = std::chrono::steady_clock::now();
  auto sec = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  r->phases = {{"device search + encode", sec(t0, t1)}, {"copy to host", sec(t1, t2)}, {"double quantization", sec(t2, t3)},
               {"device errors + copy", sec(t3, t4)}};
}

}  // namespace irq::nf4::cuda
