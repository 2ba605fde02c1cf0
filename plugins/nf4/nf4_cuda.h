// CUDA paths of the NF4 / ICQ-NF4 plugin (compiled when nvcc is found;
// IRQ_NF4_HAVE_CUDA then defined). Every float operation uses the explicit
// round-to-nearest intrinsics (__fadd_rn, __fmul_rn, __fdiv_rn) in the CPU
// path's order, so codes and tau are bit-identical to the CPU path.
// Pointers are device pointers; functions throw irq::Error on CUDA errors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace irq::nf4::cuda {

// True when this build has CUDA and a device is present.
bool available();
std::string device_name();

// Largest block size the search kernel handles (per-thread sorted copy).
constexpr int kMaxBlock = 64;

// ICQ candidate search, one thread per block over w[0..numel) (zero-padded
// last block): tau, candidate index, plain and chosen entropy per block.
// factors: 2n+1 floats; terms: B+1 entropy terms (quant/entropy.h).
void search(const float* w, int64_t numel, int B, const float* factors, int ncand, const float* terms, float* tau,
            int32_t* candidate, float* entropy_plain, float* entropy, void* stream);

// Final NF4 codes of w - tau (packed, high nibble first) and absmax per block.
void encode(const float* w, int64_t numel, int B, const float* tau, uint8_t* packed, float* absmax, void* stream);

// Dequantize to float32 (out_bf16 = false) or bfloat16: out = NF4[code] *
// (map[absmax_q] * absmax_scale[b / group] + offset) + map[tau_q] * tau_scale[b / group].
void dequantize(const uint8_t* packed, int64_t numel, int B, int group, const uint8_t* absmax_q, const float* absmax_scale,
                float absmax_offset, const uint8_t* tau_q, const float* tau_scale, void* out, bool out_bf16, void* stream);

// dequantize() of the window rows [row0, row0 + rows) x columns [col0, col0
// + width) of the (., cols) weight into out (rows x width, row-major): the
// tiles of the quantized matmuls. cols, col0 and width multiples of 8.
void dequantize_window(const uint8_t* packed, int64_t cols, int64_t row0, int64_t rows, int64_t col0, int64_t width, int B,
                       int group, const uint8_t* absmax_q, const float* absmax_scale, float absmax_offset, const uint8_t* tau_q,
                       const float* tau_scale, void* out, bool out_bf16, void* stream);

// The decode product from the packed codes (nf4_cuda_matmul.cu): y (M, rows)
// = x (M, cols) W^T for M <= 8, W (rows, cols) in blocks of B = 64 along its
// rows (cols % 64 == 0), fp32 accumulation; x and y float32 or bfloat16.
struct GemvWeight {
  const uint8_t* codes;
  const uint8_t* absmax_q;
  const float* absmax_scale;
  float absmax_offset;
  const uint8_t* tau_q;  // null: no tau
  const float* tau_scale;
  int group;             // blocks per 8-bit scale group
  int64_t rows, cols;
};
void gemv(const GemvWeight& w, const void* x, int64_t M, void* y, bool bf16, void* stream);

// The whole quantization of one weight on the device (nf4_cuda_quantize.cu),
// blocks of 64: a warp per block sorts it, its lanes evaluate the 2n+1
// candidates (the first highest entropy wins, as on the CPU), then encode the
// chosen tau; the float32 weight never leaves the device. Results come back
// to the host; double_quantize (the CPU's, on the per-block absmax and tau)
// fills the 8-bit fields, after which the per-block errors against the
// dequantized weight are computed on the device.
struct DeviceQuantResult {
  std::vector<uint8_t> codes;
  std::vector<float> tau, entropy_plain, entropy, absmax, mse;
  std::vector<int32_t> candidate;
  std::vector<uint16_t> histogram;     // blocks x 16 when asked for
  std::vector<int64_t> code_histogram;  // 16
  std::vector<uint8_t> absmax_q, tau_q;
  std::vector<float> absmax_scale, tau_scale;
  float absmax_offset = 0;
  std::vector<double> sum_w2, sum_err2;  // per block
  int64_t first_non_finite = -1;        // flat index, or -1
  std::vector<std::pair<std::string, double>> phases;  // seconds
};
constexpr int kDeviceBlock = 64;
// The kernel itself, on device pointers (first_bad: initialised above any
// index, e.g. memset 0x7f; code_histogram: zeroed; histogram may be null).
struct Block64Outputs {
  float* tau;
  int32_t* candidate;
  float* entropy_plain;
  float* entropy;
  float* absmax;
  uint8_t* packed;
  uint16_t* histogram;
  unsigned long long* code_histogram;
  long long* first_bad;
};
void search_encode64(const float* w, int64_t numel, const float* factors, int ncand, bool icq, const float* terms,
                     const Block64Outputs& out, void* stream);
void quantize_device(const float* w, int64_t numel, int group, const std::vector<float>& factors, bool icq,
                     const std::vector<float>& terms, bool keep_histograms, void* stream, DeviceQuantResult* r,
                     const std::function<void(DeviceQuantResult&)>& double_quantize);

// Host-memory convenience for the plugin pipeline: copies w in, runs search,
// copies the per-block results out (vectors resized to nblocks).
void search_host(const float* w, int64_t numel, int B, const std::vector<float>& factors, const std::vector<float>& terms,
                 std::vector<float>& tau, std::vector<int32_t>& candidate, std::vector<float>& entropy_plain,
                 std::vector<float>& entropy);

// Copies n floats from the device to the host (synchronously, on stream).
void copy_to_host(const float* d, int64_t n, float* h, void* stream);

// Fills w[0..n) with N(0, std^2) from a counter-based generator (benchmarks).
void fill_normal(float* w, int64_t n, uint64_t seed, float std, void* stream);

}  // namespace irq::nf4::cuda
