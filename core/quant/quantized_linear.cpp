// Quantized matmuls: row dot products (CPU) or the GPU decode kernel for
// decode, dequantized tiles + GEMM for prefill and the backward pass.
#include "quant/quantized_linear.h"

#include <immintrin.h>

#include <algorithm>
#include <vector>

#include <c10/cuda/CUDAStream.h>
#include <torch/autograd.h>
#include <torch/nn/functional/linear.h>

#include "common/parallel.h"
#include "quant/quant_format.h"
#include "quant/quant_view.h"

namespace irq {

namespace {

float dot_scalar(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  const __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
  float total = _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

float dot(const float* a, const float* b, int64_t n) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2 ? dot_avx2(a, b, n) : dot_scalar(a, b, n);
}

// Decode: y (M, rows) = x (M, cols) W^T, one dequantized row at a time per thread.
torch::Tensor rows_times_inputs(const QuantFormat& f, const DeviceQuantTensor& t, const torch::Tensor& x) {
  const int64_t M = x.size(0), K = t.cols, N = t.rows;
  auto y = torch::empty({M, N}, x.options());
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  parallel_for(N, std::max<int64_t>(1, 16384 / std::max<int64_t>(K, 1)), [&](int64_t r0, int64_t r1) {
    if (f.rows_dot && f.rows_dot(t, r0, r1 - r0, xp, M, yp, N)) return;  // fused, from the codes
    std::vector<float> row(static_cast<size_t>(K));
    for (int64_t r = r0; r < r1; ++r) {
      f.dequantize_rows(t, r, 1, row.data());
      for (int64_t m = 0; m < M; ++m) yp[m * N + r] = dot(row.data(), xp + m * K, K);
    }
  });
  return y;
}

// Rows [r0, r0 + n) of W dequantized into `tile` (n, K), rows in parallel.
void fill_tile(const QuantFormat& f, const DeviceQuantTensor& t, int64_t r0, int64_t n, torch::Tensor& tile) {
  float* out = tile.data_ptr<float>();
  const int64_t K = t.cols;
  parallel_for(n, std::max<int64_t>(1, 65536 / std::max<int64_t>(K, 1)), [&](int64_t a, int64_t b) {
    f.dequantize_rows(t, r0 + a, b - a, out + a * K);
  });
}

int64_t tile_rows(const DeviceQuantTensor& t, int64_t tile_values) {
  return std::clamp<int64_t>(tile_values / std::max<int64_t>(t.cols, 1), 1, t.rows);
}

// Prefill: y (M, N) = x (M, K) W^T, tile by tile (fill(r0, n, tile) writes rows r0.. of W).
template <typename Fill>
torch::Tensor tiled_forward(const DeviceQuantTensor& t, const torch::Tensor& x, int64_t tile_values, const Fill& fill) {
  // x W_tile^T, the operand order of the full-precision linear (measured:
  // W_tile x^T into rows of y^T ran about 20% slower in MKL here).
  const int64_t M = x.size(0), N = t.rows, R = tile_rows(t, tile_values);
  auto tile = torch::empty({R, t.cols}, x.options());
  if (R >= N) {  // one tile: the GEMM writes y itself
    fill(0, N, tile);
    return torch::mm(x, tile.t());
  }
  auto y = torch::empty({M, N}, x.options());
  for (int64_t r0 = 0; r0 < N; r0 += R) {
    const int64_t n = std::min(R, N - r0);
    auto w = tile.narrow(0, 0, n);
    fill(r0, n, w);
    y.narrow(1, r0, n).copy_(torch::mm(x, w.t()));
  }
  return y;
}

// Backward on the CPU: dx (M, K) = dy (M, N) W, accumulated tile by tile (float32).
torch::Tensor tiled_input_grad(const QuantFormat& f, const DeviceQuantTensor& t, const torch::Tensor& dy, int64_t tile_values) {
  const int64_t N = t.rows, R = tile_rows(t, tile_values);
  auto dx = torch::zeros({dy.size(0), t.cols}, dy.options());
  auto tile = torch::empty({R, t.cols}, dy.options());
  for (int64_t r0 = 0; r0 < N; r0 += R) {
    const int64_t n = std::min(R, N - r0);
    auto w = tile.narrow(0, 0, n);
    fill_tile(f, t, r0, n, w);
    dx.addmm_(dy.narrow(1, r0, n), w);
  }
  return dx;
}

// Prefill on the GPU: y^T (N, M) = W (N, K) x^T, a contiguous row block of
// y^T per tile (cuBLAS writes it in place), y made contiguous once.
torch::Tensor tiled_forward_cuda(const QuantFormat& f, const DeviceQuantTensor& t, const torch::Tensor& x, int64_t tile_values) {
  const int64_t M = x.size(0), N = t.rows, R = tile_rows(t, tile_values);
  const bool bf16 = x.scalar_type() == torch::kBFloat16;
  auto tile = torch::empty({R, t.cols}, x.options());
  if (R >= N) {
    f.dequantize_tile_cuda(t, 0, N, 0, t.cols, tile.data_ptr(), bf16);
    return torch::mm(x, tile.t());
  }
  auto yt = torch::empty({N, M}, x.options());
  const auto xt = x.t();
  for (int64_t r0 = 0; r0 < N; r0 += R) {
    const int64_t n = std::min(R, N - r0);
    auto w = tile.narrow(0, 0, n);
    f.dequantize_tile_cuda(t, r0, n, 0, t.cols, w.data_ptr(), bf16);
    auto block = yt.narrow(0, r0, n);
    torch::mm_out(block, w, xt);
  }
  return yt.t().contiguous();
}

// Backward on the GPU: dx^T[k0:k0+kw] = W[:, k0:k0+kw]^T dy^T, column
// windows of W, so every gradient value comes from one GEMM (no bfloat16
// sums of partial products across tiles), each into a contiguous row block.
torch::Tensor tiled_input_grad_cuda(const QuantFormat& f, const DeviceQuantTensor& t, const torch::Tensor& dy, int64_t tile_values) {
  const int64_t N = t.rows, K = t.cols;
  const bool bf16 = dy.scalar_type() == torch::kBFloat16;
  const int64_t width = std::clamp<int64_t>(tile_values / std::max<int64_t>(N, 1) / 64 * 64, 64, K);
  auto tile = torch::empty({N, width}, dy.options());
  if (width >= K) {
    f.dequantize_tile_cuda(t, 0, N, 0, K, tile.data_ptr(), bf16);
    return torch::mm(dy, tile);
  }
  auto dxt = torch::empty({K, dy.size(0)}, dy.options());
  const auto dyt = dy.t();
  for (int64_t k0 = 0; k0 < K; k0 += width) {
    const int64_t kw = std::min(width, K - k0);
    auto w = kw == width ? tile : torch::empty({N, kw}, dy.options());
    f.dequantize_tile_cuda(t, 0, N, k0, kw, w.data_ptr(), bf16);
    auto block = dxt.narrow(0, k0, kw);
    torch::mm_out(block, w.t(), dyt);
  }
  return dxt.t().contiguous();
}

DeviceQuantTensor view_on_stream(const QuantizedWeight& w) {
  DeviceQuantTensor t = quant_view(w);
  if (w.codes().is_cuda()) t.stream = c10::cuda::getCurrentCUDAStream(w.codes().device().index()).stream();
  return t;
}

torch::Tensor forward_2d(const QuantFormat& f, const QuantizedWeight& w, const torch::Tensor& x, int64_t tile_values) {
  const auto t = view_on_stream(w);
  if (x.is_cuda()) {
    const bool bf16 = x.scalar_type() == torch::kBFloat16;
    if (x.size(0) <= kGemvRows && f.gemv_cuda) {
      auto y = torch::empty({x.size(0), t.rows}, x.options());
      if (f.gemv_cuda(t, x.data_ptr(), x.size(0), y.data_ptr(), bf16)) return y;
    }
    return tiled_forward_cuda(f, t, x, tile_values);
  }
  if (x.size(0) <= kGemvRows) return rows_times_inputs(f, t, x);
  return tiled_forward(t, x, tile_values, [&](int64_t r0, int64_t n, torch::Tensor& tile) { fill_tile(f, t, r0, n, tile); });
}

torch::Tensor input_grad(const QuantFormat& f, const QuantizedWeight& w, const torch::Tensor& dy, int64_t tile_values) {
  const auto t = view_on_stream(w);
  return dy.is_cuda() ? tiled_input_grad_cuda(f, t, dy, tile_values) : tiled_input_grad(f, t, dy, tile_values);
}

// The frozen base's autograd node: the gradient reaches the input only.
struct QuantizedLinearFunction : torch::autograd::Function<QuantizedLinearFunction> {
  // weight, format: pointers (the module holds the QuantizedWeight, the registry the format, through the backward pass).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, int64_t weight, int64_t format,
                               int64_t tile_values) {
    ctx->saved_data["weight"] = weight;
    ctx->saved_data["format"] = format;
    ctx->saved_data["tile"] = tile_values;
    return forward_2d(*reinterpret_cast<const QuantFormat*>(format), *reinterpret_cast<const QuantizedWeight*>(weight), x,
                      tile_values);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto* w = reinterpret_cast<const QuantizedWeight*>(ctx->saved_data["weight"].toInt());
    const auto* f = reinterpret_cast<const QuantFormat*>(ctx->saved_data["format"].toInt());
    const auto dx = input_grad(*f, *w, grads[0].contiguous(), ctx->saved_data["tile"].toInt());
    return {dx, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

namespace {

// The format whose tiles serve this input, or null (then dequantize + linear):
// float32 on the CPU through dequantize_rows; float32 or bfloat16 on the
// codes' CUDA device through dequantize_tile_cuda (rows a multiple of 8 wide).
const QuantFormat* tiled_format(const torch::Tensor& x, const QuantizedWeight& w) {
  const int64_t cols = w.shape.size() >= 2 ? w.shape[1] : w.numel();
  if (x.size(-1) != cols || x.device() != w.codes().device()) return nullptr;
  const QuantFormat* f = find_quant_format(w.settings.method);
  if (!f) return nullptr;
  if (x.is_cpu()) return x.scalar_type() == torch::kFloat32 && f->dequantize_rows ? f : nullptr;
  const bool dtype_ok = x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kBFloat16;
  return x.is_cuda() && dtype_ok && f->dequantize_tile_cuda && cols % 8 == 0 && w.settings.block_size % 8 == 0 ? f : nullptr;
}

}  // namespace

bool quantized_linear_fast_path(const torch::Tensor& x, const QuantizedWeight& w) { return tiled_format(x, w) != nullptr; }

torch::Tensor quantized_linear(const torch::Tensor& x, const QuantizedWeight& w, const torch::Tensor& bias, int64_t tile_values) {
  const QuantFormat* f = tiled_format(x, w);
  if (!f) return torch::nn::functional::linear(x, w.dequantize(x.scalar_type()), bias);
  if (tile_values <= 0) tile_values = x.is_cuda() ? kCudaTileValues : kTileValues;
  const int64_t K = x.size(-1);
  auto x2 = x.reshape({-1, K}).contiguous();
  torch::Tensor y;
  if (torch::GradMode::is_enabled() && x.requires_grad())
    y = QuantizedLinearFunction::apply(x2, reinterpret_cast<int64_t>(&w), reinterpret_cast<int64_t>(f), tile_values);
  else {
    torch::NoGradGuard no_grad;
    y = forward_2d(*f, w, x2, tile_values);
  }
  auto sizes = x.sizes().vec();
  sizes.back() = y.size(1);
  y = y.view(sizes);
  return bias.defined() ? y + bias : y;
}

}  // namespace irq
