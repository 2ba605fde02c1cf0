// irqlora-check-cuda, the quantization half: the NF4 plugin's GPU quantizer
// (weight resident on the device) against its CPU quantizer, field by field,
// and the GPU quantized matmuls (decode kernel, prefill tiles, backward
// windows) against a float64 reference, plus their peak memory against the
// whole dequantized weight.
#include <cmath>
#include <string>

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAStream.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "check_report.h"
#include "quant/quant_format.h"
#include "quant/quantized_linear.h"
#include "quant/quantized_weight.h"

namespace {

constexpr double kLinearF32RelTol = 1e-5;   // GPU fp32 quantized matmul vs float64, relative to max |reference|
constexpr double kLinearBf16RelTol = 1e-2;  // bf16 inputs/outputs (8-bit mantissa), same measure
constexpr double kMaxTileMemoryFraction = 0.25;  // prefill's extra GPU memory / the dequantized bf16 weight

torch::Tensor heavy_tailed(int64_t rows, int64_t cols, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto w = torch::randn({rows, cols}, gen, torch::kFloat32) * 0.02;
  auto flat = w.view({-1});
  flat.index({torch::indexing::Slice(0, torch::indexing::None, 97)}).mul_(8.0);  // outliers every 97th weight
  return w.contiguous();
}

template <typename T>
int64_t differ(const std::vector<T>& a, const std::vector<T>& b) {
  return a != b;
}

// Fields of the quantized tensor and of its statistics that are not identical.
int64_t compare(const irq::QuantizedTensor& a, const irq::QuantizedTensor& b, const irq::LayerQuantStats& sa,
                const irq::LayerQuantStats& sb) {
  return (a.parts != b.parts) +  // codes, absmax, its offset and scales, tau
         differ(sa.entropy_plain, sb.entropy_plain) + differ(sa.entropy, sb.entropy) + differ(sa.offset, sb.offset) +
         differ(sa.candidate, sb.candidate) + differ(sa.absmax, sb.absmax) + differ(sa.mse, sb.mse) +
         differ(sa.histogram, sb.histogram) + differ(sa.code_histogram, sb.code_histogram) + (sa.mse_total != sb.mse_total);
}

void quantize_on(const irq::QuantFormat& f, irq::QuantJob job, const torch::Tensor& w, irq::QuantizedTensor* q,
                 irq::LayerQuantStats* s) {
  if (w.is_cuda()) {
    job.weight = w.data_ptr<float>();
    job.cuda_device = w.device().index();
    job.stream = c10::cuda::getCurrentCUDAStream(w.device().index()).stream();
    f.quantize_cuda(job, q, s);
  } else {
    job.weight = w.data_ptr<float>();
    f.quantize(job, q, s);
  }
}

}  // namespace

void check_device_quantization() {
  if (!irq::check::cuda_device().is_cuda()) return;  // CPU dry run: nothing to compare
  const irq::QuantFormat& f = irq::require_quant_format("nf4");
  if (!f.quantize_cuda) {
    irq::check::report("NF4 plugin has a CUDA quantizer", 0, 0, false);
    return;
  }
  struct Case {
    const char* what;
    int64_t rows, cols, block;
    bool icq, histograms;
  };
  const Case cases[] = {{"ICQ-NF4 512x1024", 512, 1024, 64, true, true},
                        {"ICQ-NF4 300x1000 (partial last block)", 300, 1000, 64, true, false},
                        {"NF4 without ICQ 512x1024", 512, 1024, 64, false, true},
                        {"ICQ-NF4 block 32 (through the host)", 128, 512, 32, true, false}};
  uint64_t seed = 11;
  for (const auto& c : cases) {
    const auto w = heavy_tailed(c.rows, c.cols, seed++);
    irq::QuantJob job;
    job.shape = {c.rows, c.cols};
    job.name = c.what;
    job.settings = irq::QuantSettings::for_method("nf4");
    job.settings.icq = c.icq;
    job.settings.block_size = c.block;
    job.keep_block_histograms = c.histograms;
    irq::QuantizedTensor qc, qg;
    irq::LayerQuantStats sc, sg;
    quantize_on(f, job, w, &qc, &sc);
    quantize_on(f, job, w.to(irq::check::cuda_device()), &qg, &sg);
    irq::check::report(std::string("GPU quantizer vs CPU, ") + c.what + ": fields differing (of 15)",
                       static_cast<double>(compare(qc, qg, sc, sg)), 0, compare(qc, qg, sc, sg) == 0);
  }
  // A NaN on the device: the CPU's error, naming the tensor and the index.
  auto w = heavy_tailed(64, 256, 5);
  w.view({-1})[1234] = NAN;
  irq::QuantJob job;
  job.shape = {64, 256};
  job.name = "layers.0.nan_proj";
  job.settings = irq::QuantSettings::for_method("nf4");
  std::string message;
  try {
    irq::QuantizedTensor q;
    irq::LayerQuantStats s;
    quantize_on(f, job, w.to(irq::check::cuda_device()), &q, &s);
  } catch (const std::exception& e) {
    message = e.what();
  }
  const bool named = message.find("layers.0.nan_proj") != std::string::npos && message.find("NaN at flat index 1234") != std::string::npos;
  std::printf("     NaN on the device: %s\n", message.c_str());
  irq::check::report("GPU quantizer names the tensor and index of a NaN", named ? 0 : 1, 0, named);
}

namespace {

// max |y - ref| / max |ref| for each path of quantized_linear on the GPU.
void check_linear_paths(const irq::QuantizedWeight& qw, const torch::Tensor& w_ref, torch::ScalarType dtype, double tol) {
  const auto dev = irq::check::cuda_device();
  const int64_t N = w_ref.size(0), K = w_ref.size(1);
  const int64_t tile = 64 * K;  // 6 row tiles forward, 8 column windows backward
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  const auto bias = (torch::randn({N}, gen, torch::kFloat32) * 0.1).to(dev, dtype);
  const std::string name = dtype == torch::kBFloat16 ? "bf16" : "fp32";
  for (const int64_t M : {1, 3, 8, 40}) {
    const auto x = torch::randn({M, K}, gen, torch::kFloat32).to(dev, dtype);
    const bool fast = irq::quantized_linear_fast_path(x, qw);
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      y = irq::quantized_linear(x, qw, bias, tile);
    }
    const auto ref = torch::addmm(bias.to(torch::kCPU, torch::kFloat64), x.to(torch::kCPU, torch::kFloat64), w_ref.t());
    const double err = (y.to(torch::kCPU, torch::kFloat64) - ref).abs().max().item<double>() / ref.abs().max().item<double>();
    irq::check::report("quantized linear " + name + " M=" + std::to_string(M) + (M <= irq::kGemvRows ? " (decode kernel)" : " (tiles)") +
                           " vs float64",
                       err, tol, fast && err <= tol);
  }
  const auto x = torch::randn({40, K}, gen, torch::kFloat32).to(dev, dtype).requires_grad_(true);
  const auto g = torch::randn({40, N}, gen, torch::kFloat32).to(dev, dtype);
  (irq::quantized_linear(x, qw, {}, tile) * g).sum().backward();
  const auto ref = torch::mm(g.to(torch::kCPU, torch::kFloat64), w_ref);
  const double err = (x.grad().to(torch::kCPU, torch::kFloat64) - ref).abs().max().item<double>() / ref.abs().max().item<double>();
  irq::check::report("quantized linear " + name + " backward (column windows) vs float64", err, tol, err <= tol);
}

}  // namespace

void check_quantized_linear() {
  const auto dev = irq::check::cuda_device();
  if (!dev.is_cuda()) return;
  const irq::QuantFormat& f = irq::require_quant_format("nf4");
  const auto w = heavy_tailed(384, 1024, 31);
  irq::QuantJob job;
  job.weight = w.data_ptr<float>();
  job.shape = {384, 1024};
  job.name = "linear";
  job.settings = irq::QuantSettings::for_method("nf4");
  irq::QuantizedTensor q;
  irq::LayerQuantStats s;
  f.quantize(job, &q, &s);
  const auto qw = irq::QuantizedWeight::from_host(q, dev);
  const auto w_ref = qw.dequantize(torch::kFloat32).to(torch::kCPU, torch::kFloat64);
  check_linear_paths(qw, w_ref, torch::kFloat32, kLinearF32RelTol);
  check_linear_paths(qw, w_ref, torch::kBFloat16, kLinearBf16RelTol);

  // Prefill of a LLaMA-7B down_proj-shaped weight (4096 x 11008, random
  // codes): the extra memory is a tile, not the dequantized weight.
  const int64_t N = 4096, K = 11008;
  irq::QuantizedTensor big;
  big.settings = irq::QuantSettings::for_method("nf4");
  big.shape = {N, K};
  auto gen = at::make_generator<at::CPUGeneratorImpl>(41);
  const int64_t blocks = N * K / 64, groups = (blocks + 255) / 256;
  auto bytes = [&](int64_t n) {
    const auto t = torch::randint(0, 256, {n}, gen, torch::kInt64).to(torch::kUInt8);
    return std::vector<uint8_t>(t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + n);
  };
  big.codes() = bytes(N * K / 2);
  big.part<uint8_t>("absmax_q") = bytes(blocks);
  big.part<float>("absmax_scale").assign(static_cast<size_t>(groups), 0.02f);
  big.part<float>("absmax_offset") = {0.03f};
  big.part<uint8_t>("tau_q") = bytes(blocks);
  big.part<float>("tau_scale").assign(static_cast<size_t>(groups), 0.002f);
  const auto bw = irq::QuantizedWeight::from_host(big, dev);
  const auto x = torch::randn({512, K}, torch::TensorOptions().device(dev).dtype(torch::kBFloat16));
  torch::NoGradGuard no_grad;
  irq::quantized_linear(x, bw, {});  // warm-up: cuBLAS workspace, allocator pools
  torch::cuda::synchronize();
  const int idx = dev.index();
  const auto before = c10::cuda::CUDACachingAllocator::getDeviceStats(idx).allocated_bytes[0].current;
  c10::cuda::CUDACachingAllocator::resetPeakStats(idx);
  const auto y = irq::quantized_linear(x, bw, {});
  torch::cuda::synchronize();
  const auto peak = c10::cuda::CUDACachingAllocator::getDeviceStats(idx).allocated_bytes[0].peak;
  const double extra = static_cast<double>(peak - before - y.nbytes());
  const double whole = static_cast<double>(N * K * 2);
  std::printf("     prefill 512 x 4096x11008 bf16: %.1f MiB beyond input and output; the dequantized weight is %.1f MiB\n",
              extra / 1048576.0, whole / 1048576.0);
  irq::check::report("quantized prefill: extra GPU memory / whole dequantized weight", extra / whole, kMaxTileMemoryFraction,
                     extra / whole <= kMaxTileMemoryFraction);
}
