// The quantizer interface of the engine: a traits row per format (ggml
// style). Formats are static plugins (plugins/<name>/, compiled into the
// program: plugins/CMakeLists.txt says why); each fills a QuantFormat and
// registers it. Core looks formats up by method name and calls their
// entries; it never tests a method name itself (tests/build/
// check_format_branches.py). The table and this header are torch-free. Quantizers read float32
// weights and return plain-data QuantizedTensor + LayerQuantStats.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
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

// What every view of a quantized weight starts with: its settings and its
// layout as (out, in), a 1-d weight being one row.
struct QuantGeometry {
  const QuantSettings* settings = nullptr;
  int64_t numel = 0;
  int64_t rows = 0, cols = 0;
  void* stream = nullptr;  // cudaStream_t to launch on: the caller's current stream (LibTorch's)
};
// A host QuantizedTensor's geometry (no stream).
QuantGeometry geometry_of(const QuantizedTensor& q);

// Pointers into a quantized weight's storage (a QuantizedWeight's tensors):
// device memory for the CUDA entries, host memory for dequantize_rows. The
// parts are the format's (QuantFormat::resident_parts), by name; only its
// plugin reads them (into its own typed view).
struct DeviceQuantTensor : QuantGeometry {
  struct Part {
    std::string_view name;
    const void* data = nullptr;  // null when the part is empty
    float value = 0;             // a scalar part's value (PayloadPart::scalar)
  };
  static constexpr int kMaxParts = 8;
  Part parts[kMaxParts];
  int part_count = 0;

  void add(std::string_view name, const void* data, float value = 0);  // Error(kUsage) past kMaxParts
  // The part's pointer; null when absent or empty.
  template <typename T>
  const T* get(std::string_view name) const {
    for (int i = 0; i < part_count; ++i)
      if (parts[i].name == name) return static_cast<const T*>(parts[i].data);
    return nullptr;
  }
  float scalar(std::string_view name) const;  // a scalar part's value; 0 when absent
};

// A weight quantized per row and group of G columns as
// w[r, c] = scale[g] * (code[r, c] - zero[g]), g = r * ngroups + c / G: the
// format-independent form of a zero-point format's payload. GPTQ produces
// it; QA-LoRA's zero-point merge and the GGUF Q4_1 writer read it.
struct AffineGroups {
  std::vector<uint8_t> codes;      // one per weight, row-major (rows * cols)
  std::vector<float> scale, zero;  // rows * ngroups
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
  DType dtype = DType::kU8;  // kU8 or kF32
  std::vector<int64_t> shape;
  // One float the kernels take by value (NF4's absmax_offset): a
  // QuantizedWeight keeps it on the host beside its device tensors.
  bool scalar = false;
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
  // Reading a checkpoint: parts an older writer may have stored, read when
  // present (after the stored parts), and what the format then fills in
  // from those absent (finish_read).
  std::function<std::vector<PayloadPart>(const std::vector<int64_t>& shape, const QuantSettings&)> optional_parts;
  std::function<void(QuantizedTensor&)> finish_read;
  // payload_hash (quantized_tensor.h): the payload's fields fed to a
  // PayloadHasher in the format's fixed order (adapters store the value).
  std::function<uint64_t(const QuantizedTensor&)> payload_hash;
  // Parts an adapter file records beside the payload hash, for adapters
  // written before the hash (lora/adapter_io.h); a load compares them.
  std::vector<std::string> recorded_parts;

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
  // Formats with zero points (zero_points): the payload as AffineGroups and
  // back (the codes packed as the format packs them), exactly.
  std::function<AffineGroups(const QuantizedTensor&)> affine_groups;
  std::function<QuantizedTensor(const QuantSettings&, const std::vector<int64_t>& shape, AffineGroups)> from_affine_groups;
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
// What a weight of `shape` holds in memory: its format's resident_parts,
// else its stored_parts.
std::vector<PayloadPart> held_parts(const std::vector<int64_t>& shape, const QuantSettings& s);
// A host QuantizedTensor as the view the formats' CPU entries take: pointers
// into its vectors (valid while q and its parts stay as they are), scalar
// parts (PayloadPart::scalar) by value.
DeviceQuantTensor host_view(const QuantizedTensor& q);
// The suffixes of every part a checkpoint may hold for a weight of `shape`
// quantized with `s`: its format's stored parts, then its optional ones.
std::vector<std::string> checkpoint_part_suffixes(const std::vector<int64_t>& shape, const QuantSettings& s);

// Checks for NaN/Inf; throws Error(kInvalidInput) naming the tensor and the first bad index.
void check_finite(const float* w, int64_t n, const std::string& name);
// The error check_finite throws, for the value at flat index `index`.
[[noreturn]] void throw_non_finite(const std::string& name, int64_t index, float value);

}  // namespace irq
