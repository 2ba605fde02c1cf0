// The quantizer interface of the engine: a traits row per format (ggml
// style) that plugins register. Adding a format = one plugin that fills a
// QuantFormat and calls register_quant_format(). Quantizers read float32
// weights and return plain-data QuantizedTensor + LayerQuantStats.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "quant/quant_stats.h"
#include "quant/quantized_tensor.h"

namespace irq {

struct QuantJob {
  const float* weight = nullptr;  // row-major, numel floats, host memory
  std::vector<int64_t> shape;
  std::string name;               // tensor name, for errors and stats
  QuantSettings settings;
  bool keep_block_histograms = false;  // fill LayerQuantStats::histogram (blocks x levels)
  // Optional per-count entropy terms -p*log2(p), p = c / block (block + 1 floats),
  // replacing the built-in table: parity tests pass the oracle's numpy values so
  // that ties between candidates break as the oracle's do (see quant/entropy.h).
  const std::vector<float>* entropy_terms = nullptr;
  const CancelToken* cancel = nullptr;
};

// Device pointers of a quantized weight (a QuantizedWeight's tensors on a GPU).
struct DeviceQuantTensor {
  const QuantSettings* settings = nullptr;
  int64_t numel = 0;
  const uint8_t* codes = nullptr;
  const uint8_t* absmax_q = nullptr;
  const float* absmax_scale = nullptr;
  float absmax_offset = 0;
  const uint8_t* tau_q = nullptr;
  const float* tau_scale = nullptr;
  void* stream = nullptr;  // cudaStream_t to launch on: the caller's current stream (LibTorch's)
};

struct QuantFormat {
  std::string name;         // "nf4", "int"
  std::string description;
  std::vector<int> bits;    // supported bit widths
  // Fast CPU path. Throws irq::Error (kInvalidInput for NaN/Inf, naming the tensor).
  std::function<void(const QuantJob&, QuantizedTensor*, LayerQuantStats*)> quantize;
  // Scalar reference (the oracle's algorithm, candidate by candidate), for tests and benchmarks.
  std::function<void(const QuantJob&, QuantizedTensor*, LayerQuantStats*)> quantize_ref;
  // Dequantize to float32 host memory (numel floats).
  std::function<void(const QuantizedTensor&, float*)> dequantize;
  // CUDA paths (device pointers), empty when the plugin was built without CUDA.
  std::function<void(const QuantJob&, QuantizedTensor*, LayerQuantStats*)> quantize_cuda;
  // Dequantize on the GPU into `out` (float32, or bfloat16 when bf16), on t.stream.
  std::function<void(const DeviceQuantTensor&, void* out, bool bf16)> dequantize_cuda;
};

void register_quant_format(QuantFormat format);
// By method name ("nf4", "int4" -> "int"); nullptr when no plugin provides it.
const QuantFormat* find_quant_format(const std::string& method);
// Like find_quant_format but loads the plugins first and throws Error(kUnsupported) listing what is available.
const QuantFormat& require_quant_format(const std::string& method);
std::vector<std::string> quant_format_names();

// Checks for NaN/Inf; throws Error(kInvalidInput) naming the tensor and the first bad index.
void check_finite(const float* w, int64_t n, const std::string& name);

}  // namespace irq
