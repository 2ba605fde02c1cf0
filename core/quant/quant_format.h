// The quantizer interface of the engine: a traits row per format (ggml
// style). Formats are static plugins (plugins/<name>/, compiled into the
// program: plugins/CMakeLists.txt says why); each fills a QuantFormat and
// registers it. Core looks formats up by method name and calls their
// entries; it never tests a method name itself (tests/build/
// check_format_branches.py). The table and this header are torch-free. Quantizers read float32
// weights and return plain-data QuantizedTensor + LayerQuantStats.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "io/dtype.h"
#include "quant/quant_stats.h"
#include "quant/quantized_tensor.h"

namespace at {
class Tensor;
}
namespace c10 {
enum class ScalarType : int8_t;
}

namespace irq {

struct QuantizedWeight;  // quant/quantized_weight.h

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
  // >= 0: `weight` is a device pointer on this CUDA device (quantize_cuda),
  // used on `stream` (a cudaStream_t: the caller's current LibTorch stream).
  int cuda_device = -1;
  void* stream = nullptr;
};

// Pointers into a quantized weight's storage (a QuantizedWeight's tensors):
// device memory for the CUDA entries, host memory for dequantize_rows.
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
  const float* scale = nullptr;  // INT: (rows, groups)
  const float* zero = nullptr;
  int64_t rows = 0, cols = 0;    // the weight as (out, in)
};

// One candidate of ICQ's search on a block: its offset (NF4: tau; INT: the
// range multiplier p) and the entropy of the codes it gives, in bits.
struct SearchPoint {
  float offset = 0;
  float entropy = 0;
};

// One tensor a quantized weight stores: NAME.<suffix> in the irq checkpoint.
struct PayloadPart {
  std::string suffix;  // "codes", "absmax_q", ...
  DType dtype = DType::kU8;
  std::vector<int64_t> shape;
  uint64_t bytes() const;
};

struct QuantFormat {
  // ---- What the format is. Torch-free: the light front end registers these
  // too (register_builtin_format_descriptions, plugins/builtin_formats.h).
  std::string name;         // "nf4", "int"
  std::string description;
  std::vector<int> bits;    // supported bit widths; its methods are name (one width) or name + bits ("int4")
  int default_n = 100;      // ICQ candidates per side unless set (IR-QLoRA: NF4 100, INT quantizer_icq.py's tau_n 50)
  // Blocks are groups of block_size columns within a row ("group"; 0 = one
  // per row, "per channel") rather than runs of the flattened weight ("block").
  bool row_groups = false;
  bool gptq = false;         // quantizes inside GPTQ (core/quant/gptq) too
  bool zero_points = false;  // per-group zero points an adapter's update can fold into (QA-LoRA)
  // What ICQ searches over, for plots: a symbol and a name ("tau", "offset
  // tau"; "p", "range multiplier p").
  std::string offset_symbol, offset_name;
  // Checks beyond QuantSettings::validate's generic ones; throws Error(kUsage).
  std::function<void(const QuantSettings&)> validate;
  // What a weight of `shape` stores in the irq checkpoint, in file order
  // (quant/quant_checkpoint.h), and so its bits per weight.
  std::function<std::vector<PayloadPart>(const std::vector<int64_t>& shape, const QuantSettings&)> stored_parts;
  // What it holds in memory (a QuantizedWeight's tensors), when more than it stores.
  std::function<std::vector<PayloadPart>(const std::vector<int64_t>& shape, const QuantSettings&)> resident_parts;
  // Serialization of the plain-data payload: pointers to the stored parts'
  // bytes (stored_parts' order); a part read back (its bytes); and, after
  // the stored parts, what the format fills from those absent (optional_parts:
  // parts an older writer may have stored, read when present).
  std::function<std::vector<const void*>(const QuantizedTensor&)> part_data;
  std::function<void(QuantizedTensor&, const std::string& suffix, const void* bytes, uint64_t size)> set_part;
  std::function<std::vector<PayloadPart>(const std::vector<int64_t>& shape, const QuantSettings&)> optional_parts;
  std::function<void(QuantizedTensor&)> finish_read;

  // ---- What the format computes (libirq_formats: register_builtin_formats).
  // Fast CPU path. Throws irq::Error (kInvalidInput for NaN/Inf, naming the tensor).
  std::function<void(const QuantJob&, QuantizedTensor*, LayerQuantStats*)> quantize;
  // Scalar reference (the oracle's algorithm, candidate by candidate), for tests and benchmarks.
  std::function<void(const QuantJob&, QuantizedTensor*, LayerQuantStats*)> quantize_ref;
  // Dequantize to float32 host memory (numel floats).
  std::function<void(const QuantizedTensor&, float*)> dequantize;
  // Rows [row0, row0 + count) of the dequantized (rows, cols) weight into
  // `out` (count x cols float32), from host pointers, on the calling thread;
  // equal bit for bit to `dequantize`. The quantized matmuls of
  // quant/quantized_linear.h build on it (one row or one tile at a time).
  std::function<void(const DeviceQuantTensor&, int64_t row0, int64_t count, float* out)> dequantize_rows;
  // Optional decode product from the codes, without a dequantized row:
  // y[m * ldy + r] = sum_k W[r, k] x[m * cols + k] for rows [row0, row0 +
  // count) and m < M (M <= 8), on the calling thread, within float32
  // rounding of dequantize + matmul. Returns false where it does not apply
  // (shape, CPU features); the caller then uses dequantize_rows.
  std::function<bool(const DeviceQuantTensor&, int64_t row0, int64_t count, const float* x, int64_t M, float* y, int64_t ldy)>
      rows_dot;
  // ICQ's search on one block (its weights as block_members lists them:
  // NF4 pads a short last block with zeros as it quantizes it), candidate by candidate as quantize_ref computes
  // it with the built-in entropy table: the first highest entropy is the
  // candidate quantize() keeps. The Weights view plots it.
  std::function<std::vector<SearchPoint>(const float* block, int64_t length, const QuantSettings&)> search_curve;
  // Block b of a (rows, cols) weight (b < LayerQuantStats::blocks): the flat
  // indices of its weights (NF4: a run of the flattened weight; INT: one
  // group of one row), and the value each of its codes stands for in q (the
  // Weights view's levels).
  std::function<std::vector<int64_t>(const std::vector<int64_t>& shape, const QuantSettings&, int64_t b)> block_members;
  std::function<std::vector<float>(const QuantizedTensor& q, int64_t b)> block_levels;
  // The held weight (quant/quantized_weight.h) dequantized on its own device,
  // (rows, cols) in `dtype`, equal to `dequantize` where both run (the same
  // float operations in the same order): QuantizedWeight::dequantize, which
  // the exports and the matmuls' fallback read. Torch ops, or the format's
  // CUDA kernel.
  std::function<at::Tensor(const QuantizedWeight&, c10::ScalarType dtype)> dequantize_weight;
  // CUDA paths (device pointers), empty when the plugin was built without CUDA.
  // quantize_cuda: job.weight is float32 on the device (job.cuda_device); the
  // search and the encoding run there, the weight is never copied to the
  // host, and the result equals quantize()'s bit for bit.
  std::function<void(const QuantJob&, QuantizedTensor*, LayerQuantStats*)> quantize_cuda;
  // Dequantize on the GPU into `out` (float32, or bfloat16 when bf16), on t.stream.
  std::function<void(const DeviceQuantTensor&, void* out, bool bf16)> dequantize_cuda;
  // The window rows [row0, row0 + rows) x columns [col0, col0 + width) of the
  // (rows, cols) weight dequantized on the GPU into `out` (rows x width,
  // row-major, float32 or bfloat16), on t.stream: the tiles of the quantized
  // matmuls (quantized_linear.h), equal to dequantize_cuda's values. cols,
  // col0 and width multiples of 8.
  std::function<void(const DeviceQuantTensor&, int64_t row0, int64_t rows, int64_t col0, int64_t width, void* out, bool bf16)>
      dequantize_tile_cuda;
  // Decode product on the GPU from the codes: y (M, rows) = x (M, cols) W^T,
  // M <= 8, x and y both float32 or both bfloat16, on t.stream. Returns false
  // where it does not apply (shape, alignment); the caller then uses tiles.
  std::function<bool(const DeviceQuantTensor&, const void* x, int64_t M, void* y, bool bf16)> gemv_cuda;
};

// A stored part's bytes into a payload vector (QuantFormat::set_part's usual body).
template <typename T>
void assign_part(std::vector<T>& v, const void* bytes, uint64_t size) {
  v.resize(size / sizeof(T));
  std::memcpy(v.data(), bytes, v.size() * sizeof(T));
}

// Registers (or replaces) a format's row; the table keeps the order of first registration.
void register_quant_format(QuantFormat format);
// By method name ("nf4", "int4" -> "int"); nullptr when no format provides it.
const QuantFormat* find_quant_format(const std::string& method);
// Like find_quant_format but throws Error(kUnsupported) listing the registered formats.
const QuantFormat& require_quant_format(const std::string& method);
std::vector<std::string> quant_format_names();
// Every method of every registered format, in table order ("nf4", "int2", "int3", "int4", "int8").
std::vector<std::string> quant_method_names();
// A format's method for `bits`: its name when it has one width, else name + bits.
std::string method_name(const QuantFormat& format, int bits);

// Checks for NaN/Inf; throws Error(kInvalidInput) naming the tensor and the first bad index.
void check_finite(const float* w, int64_t n, const std::string& name);
// The error check_finite throws, for the value at flat index `index`.
[[noreturn]] void throw_non_finite(const std::string& name, int64_t index, float value);

}  // namespace irq
