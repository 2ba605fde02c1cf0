// irqlora-bench-nf4-cuda: GPU check and benchmark of the NF4 plugin's CUDA
// paths (not a timed test; prints figures and ratios measured in one run).
//   1. check: ICQ-NF4 on 1024 x 4096 random weights, CUDA search vs the CPU
//      fast path: tau and candidate of every block must be identical
//      (exit 1 otherwise). Prints "SKIP: ..." and exits 0 without a GPU.
//   2. ICQ-NF4 search + encode over every linear layer of a LLaMA-7B-shaped
//      model (32 x q,k,v,o 4096x4096, gate,up 11008x4096, down 4096x11008;
//      random weights generated on the GPU), time against the 1 s goal, with
//      the warp-per-block kernel and the earlier thread-per-block kernels.
//   3. NF4 -> bf16 dequantization of a 4096 x 11008 weight: bytes moved per
//      second against a device-to-device copy measured in the same run.
//   4. The NF4 decode product (GEMV, M = 1 and 8) of a 4096 x 11008 weight:
//      bytes read per second against a device copy.
//   irqlora-bench-nf4-cuda [--check-only]
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "nf4_cuda.h"
#include "nf4_internal.h"
#include "quant/dynamic_map.h"

namespace {

#define CK(x)                                                                       \
  do {                                                                              \
    cudaError_t e_ = (x);                                                           \
    if (e_ != cudaSuccess) {                                                        \
      std::fprintf(stderr, "CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); \
      std::exit(2);                                                                 \
    }                                                                               \
  } while (0)

int check_identical() {
  const int64_t rows = 1024, cols = 4096, n = rows * cols;
  std::mt19937_64 rng(7);
  std::student_t_distribution<float> dist(4.0f);
  std::vector<float> w(static_cast<size_t>(n));
  for (auto& x : w) x = 0.02f * dist(rng);
  irq::QuantJob job;
  job.weight = w.data();
  job.shape = {rows, cols};
  job.name = "check";
  job.settings = irq::QuantSettings::for_method("nf4");
  irq::QuantizedTensor qc, qg;
  irq::LayerQuantStats sc, sg;
  irq::nf4::quantize(job, irq::nf4::Search::kFast, &qc, &sc);
  irq::nf4::quantize(job, irq::nf4::Search::kCuda, &qg, &sg);
  int64_t diff = 0;
  for (size_t i = 0; i < sc.candidate.size(); ++i) diff += sc.candidate[i] != sg.candidate[i] || sc.offset[i] != sg.offset[i];
  const bool codes = qc.parts == qg.parts;  // codes, absmax, tau and their scales
  // Dequantization kernel against the CPU dequantization, bit for bit.
  std::vector<float> cpu(static_cast<size_t>(n)), gpu(static_cast<size_t>(n));
  irq::nf4::dequantize(qc, cpu.data());
  const irq::nf4::Nf4Parts p = irq::nf4::nf4_parts(qc);
  uint8_t *d_codes, *d_aq, *d_tq;
  float *d_as, *d_ts, *d_out;
  CK(cudaMalloc(&d_codes, p.codes.size()));
  CK(cudaMalloc(&d_aq, p.absmax_q.size()));
  CK(cudaMalloc(&d_tq, p.tau_q.size()));
  CK(cudaMalloc(&d_as, p.absmax_scale.size() * 4));
  CK(cudaMalloc(&d_ts, p.tau_scale.size() * 4));
  CK(cudaMalloc(&d_out, n * 4));
  CK(cudaMemcpy(d_codes, p.codes.data(), p.codes.size(), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d_aq, p.absmax_q.data(), p.absmax_q.size(), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d_tq, p.tau_q.data(), p.tau_q.size(), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d_as, p.absmax_scale.data(), p.absmax_scale.size() * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d_ts, p.tau_scale.data(), p.tau_scale.size() * 4, cudaMemcpyHostToDevice));
  irq::nf4::cuda::dequantize(d_codes, n, 64, 256, d_aq, d_as, p.absmax_offset, d_tq, d_ts, d_out, false, nullptr);
  CK(cudaMemcpy(gpu.data(), d_out, n * 4, cudaMemcpyDeviceToHost));
  const bool deq = std::memcmp(cpu.data(), gpu.data(), n * 4) == 0;
  for (void* p : {static_cast<void*>(d_codes), static_cast<void*>(d_aq), static_cast<void*>(d_tq), static_cast<void*>(d_as),
                  static_cast<void*>(d_ts), static_cast<void*>(d_out)})
    cudaFree(p);
  const bool ok = diff == 0 && codes && deq;
  std::printf("check: %lld blocks, %lld differ between CUDA and CPU search, codes %s, dequant %s -> %s\n",
              (long long)sc.candidate.size(), (long long)diff, codes ? "identical" : "DIFFER", deq ? "identical" : "DIFFER",
              ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

// ICQ-NF4 search + encode of every LLaMA-7B projection with the warp-per-block
// kernel (quantize_device's) and with the earlier thread-per-block kernels,
// in the same run.
void bench_7b() {
  struct Shape {
    int64_t rows, cols;
    int count;
  };
  const Shape shapes[] = {{4096, 4096, 4 * 32}, {11008, 4096, 2 * 32}, {4096, 11008, 32}};
  const int B = 64;
  const auto factors = irq::nf4::icq_factors(0.1, 100);
  const irq::EntropyTable table(B);
  const int64_t max_n = 4096 * 11008, max_blocks = max_n / B;
  float *w, *f, *t, *tau, *hp, *h, *absmax;
  int32_t* cand;
  uint8_t* packed;
  unsigned long long* code_hist;
  long long* bad;
  CK(cudaMalloc(&w, max_n * sizeof(float)));
  CK(cudaMalloc(&f, factors.size() * sizeof(float)));
  CK(cudaMalloc(&t, table.terms().size() * sizeof(float)));
  CK(cudaMalloc(&tau, max_blocks * sizeof(float)));
  CK(cudaMalloc(&hp, max_blocks * sizeof(float)));
  CK(cudaMalloc(&h, max_blocks * sizeof(float)));
  CK(cudaMalloc(&absmax, max_blocks * sizeof(float)));
  CK(cudaMalloc(&cand, max_blocks * sizeof(int32_t)));
  CK(cudaMalloc(&packed, max_n / 2));
  CK(cudaMalloc(&code_hist, 16 * sizeof(unsigned long long)));
  CK(cudaMalloc(&bad, sizeof(long long)));
  CK(cudaMemcpy(f, factors.data(), factors.size() * sizeof(float), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(t, table.terms().data(), table.terms().size() * sizeof(float), cudaMemcpyHostToDevice));
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  const irq::nf4::cuda::Block64Outputs out{tau, cand, hp, h, absmax, packed, nullptr, code_hist, bad};
  double warp_ms = 0, thread_ms = 0, weights = 0;
  uint64_t seed = 1;
  for (const auto& s : shapes)
    for (int i = 0; i < s.count; ++i) {
      const int64_t n = s.rows * s.cols;
      irq::nf4::cuda::fill_normal(w, n, seed++, 0.02f, nullptr);
      float ms = 0;
      CK(cudaEventRecord(a));
      irq::nf4::cuda::search_encode64(w, n, f, static_cast<int>(factors.size()), true, t, out, nullptr);
      CK(cudaEventRecord(b));
      CK(cudaEventSynchronize(b));
      CK(cudaEventElapsedTime(&ms, a, b));
      warp_ms += ms;
      CK(cudaEventRecord(a));
      irq::nf4::cuda::search(w, n, B, f, static_cast<int>(factors.size()), t, tau, cand, hp, h, nullptr);
      irq::nf4::cuda::encode(w, n, B, tau, packed, absmax, nullptr);
      CK(cudaEventRecord(b));
      CK(cudaEventSynchronize(b));
      CK(cudaEventElapsedTime(&ms, a, b));
      thread_ms += ms;
      weights += static_cast<double>(n);
    }
  std::printf("ICQ-NF4 (n 100) search + encode, LLaMA-7B linear layers (224 matrices, %.3g weights):\n", weights);
  std::printf("  warp per block   %.3f s, %.3g weights/s (goal <= 1 s: %s)\n", warp_ms / 1e3, weights / (warp_ms / 1e3),
              warp_ms <= 1000 ? "met" : "NOT met");
  std::printf("  thread per block %.3f s (the earlier kernels); ratio %.1fx\n", thread_ms / 1e3, thread_ms / warp_ms);
  for (void* p : {static_cast<void*>(w), static_cast<void*>(f), static_cast<void*>(t), static_cast<void*>(tau),
                  static_cast<void*>(hp), static_cast<void*>(h), static_cast<void*>(absmax), static_cast<void*>(cand),
                  static_cast<void*>(packed), static_cast<void*>(code_hist), static_cast<void*>(bad)})
    cudaFree(p);
}

// The decode product of a 4096 x 11008 NF4 weight (M = 1, bf16): bytes of
// packed codes and 8-bit stats read per second, against a device-to-device
// copy measured in the same run; a bf16 weight would move 4x the code bytes.
void bench_gemv() {
  const int64_t N = 4096, K = 11008, n = N * K, blocks = n / 64, groups = (blocks + 255) / 256;
  uint8_t *packed, *aq, *tq;
  float *as, *ts;
  uint16_t *x, *y, *copy_a, *copy_b;
  CK(cudaMalloc(&packed, n / 2));
  CK(cudaMalloc(&aq, blocks));
  CK(cudaMalloc(&tq, blocks));
  CK(cudaMalloc(&as, groups * sizeof(float)));
  CK(cudaMalloc(&ts, groups * sizeof(float)));
  CK(cudaMalloc(&x, K * 8 * 2));
  CK(cudaMalloc(&y, N * 8 * 2));
  CK(cudaMalloc(&copy_a, n / 2));
  CK(cudaMalloc(&copy_b, n / 2));
  CK(cudaMemset(packed, 0x5a, n / 2));
  CK(cudaMemset(aq, 200, blocks));
  CK(cudaMemset(tq, 128, blocks));
  CK(cudaMemset(x, 0x3c, K * 8 * 2));
  std::vector<float> ones(static_cast<size_t>(groups), 0.05f);
  CK(cudaMemcpy(as, ones.data(), groups * sizeof(float), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(ts, ones.data(), groups * sizeof(float), cudaMemcpyHostToDevice));
  const irq::nf4::cuda::GemvWeight w{packed, aq, as, 0.01f, tq, ts, 256, N, K};
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  const int iters = 200;
  const double code_bytes = n / 2.0 + 2.0 * blocks;
  CK(cudaMemcpy(copy_b, copy_a, n / 2, cudaMemcpyDeviceToDevice));  // warm-up
  CK(cudaEventRecord(a));
  for (int i = 0; i < iters; ++i) CK(cudaMemcpy(copy_b, copy_a, n / 2, cudaMemcpyDeviceToDevice));
  CK(cudaEventRecord(b));
  CK(cudaEventSynchronize(b));
  float ms_copy = 0;
  CK(cudaEventElapsedTime(&ms_copy, a, b));
  const double copy_gbs = 2.0 * (n / 2.0) * iters / (ms_copy / 1e3) / 1e9;
  for (const int64_t M : {1, 8}) {
    irq::nf4::cuda::gemv(w, x, M, y, true, nullptr);  // warm-up
    CK(cudaEventRecord(a));
    for (int i = 0; i < iters; ++i) irq::nf4::cuda::gemv(w, x, M, y, true, nullptr);
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, a, b));
    const double gbs = code_bytes * iters / (ms / 1e3) / 1e9;
    std::printf("NF4 GEMV 4096x11008 bf16 M=%lld: %.1f us, %.1f GB/s of codes+stats; device copy %.1f GB/s; ratio %.2f\n",
                (long long)M, 1e3 * ms / iters, gbs, copy_gbs, gbs / copy_gbs);
  }
  for (void* p : {static_cast<void*>(packed), static_cast<void*>(aq), static_cast<void*>(tq), static_cast<void*>(as),
                  static_cast<void*>(ts), static_cast<void*>(x), static_cast<void*>(y), static_cast<void*>(copy_a),
                  static_cast<void*>(copy_b)})
    cudaFree(p);
}

void bench_dequant() {
  const int64_t n = 4096 * 11008, B = 64, nblocks = n / B, groups = (nblocks + 255) / 256;
  uint8_t *packed, *aq, *tq;
  float *as, *ts;
  uint16_t *out, *copy_src;
  CK(cudaMalloc(&packed, n / 2));
  CK(cudaMalloc(&aq, nblocks));
  CK(cudaMalloc(&tq, nblocks));
  CK(cudaMalloc(&as, groups * sizeof(float)));
  CK(cudaMalloc(&ts, groups * sizeof(float)));
  CK(cudaMalloc(&out, n * 2));
  CK(cudaMalloc(&copy_src, n * 2));
  CK(cudaMemset(packed, 0x5a, n / 2));
  CK(cudaMemset(aq, 200, nblocks));
  CK(cudaMemset(tq, 128, nblocks));
  std::vector<float> ones(static_cast<size_t>(groups), 0.05f);
  CK(cudaMemcpy(as, ones.data(), groups * sizeof(float), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(ts, ones.data(), groups * sizeof(float), cudaMemcpyHostToDevice));
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  const int iters = 50;
  irq::nf4::cuda::dequantize(packed, n, B, 256, aq, as, 0.01f, tq, ts, out, true, nullptr);  // warm-up
  CK(cudaEventRecord(a));
  for (int i = 0; i < iters; ++i) irq::nf4::cuda::dequantize(packed, n, B, 256, aq, as, 0.01f, tq, ts, out, true, nullptr);
  CK(cudaEventRecord(b));
  CK(cudaEventSynchronize(b));
  float ms_deq = 0;
  CK(cudaEventElapsedTime(&ms_deq, a, b));
  CK(cudaMemcpy(out, copy_src, n * 2, cudaMemcpyDeviceToDevice));  // warm-up
  CK(cudaEventRecord(a));
  for (int i = 0; i < iters; ++i) CK(cudaMemcpy(out, copy_src, n * 2, cudaMemcpyDeviceToDevice));
  CK(cudaEventRecord(b));
  CK(cudaEventSynchronize(b));
  float ms_copy = 0;
  CK(cudaEventElapsedTime(&ms_copy, a, b));
  const double deq_bytes = n / 2.0 + 2.0 * nblocks + 8.0 * groups + 2.0 * n;  // codes + stats read, bf16 written
  const double deq_gbs = deq_bytes * iters / (ms_deq / 1e3) / 1e9;
  const double copy_gbs = 2.0 * 2.0 * n * iters / (ms_copy / 1e3) / 1e9;  // read + write
  std::printf("NF4 -> bf16 dequant 4096x11008: %.1f GB/s; device copy %.1f GB/s; ratio %.2f (goal >= 0.70: %s)\n", deq_gbs,
              copy_gbs, deq_gbs / copy_gbs, deq_gbs / copy_gbs >= 0.7 ? "met" : "NOT met");
  for (void* p : {static_cast<void*>(packed), static_cast<void*>(aq), static_cast<void*>(tq), static_cast<void*>(as),
                  static_cast<void*>(ts), static_cast<void*>(out), static_cast<void*>(copy_src)})
    cudaFree(p);
}

}  // namespace

int main(int argc, char** argv) {
  if (!irq::nf4::cuda::available()) {
    std::printf("SKIP: no CUDA device\n");
    return 0;
  }
  std::printf("device: %s\n", irq::nf4::cuda::device_name().c_str());
  const int rc = check_identical();
  if (rc != 0 || (argc > 1 && std::strcmp(argv[1], "--check-only") == 0)) return rc;
  bench_7b();
  bench_dequant();
  bench_gemv();
  return 0;
}
