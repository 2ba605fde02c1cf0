// GGUF (llama.cpp's file format, version 3), written and read by the engine.
// Byte layout, little-endian throughout:
//   u32 magic "GGUF" (0x46554747), u32 version = 3,
//   u64 tensor_count, u64 metadata_kv_count,
//   metadata_kv_count x { string key, u32 value_type, value }
//     string = u64 length + UTF-8 bytes (no terminator)
//     value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool (u8),
//       8 string, 9 array (u32 element type, u64 count, elements), 10 u64,
//       11 i64, 12 f64
//   tensor_count x { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type,
//                    u64 offset }   ne[0] is the innermost (row) length, so a
//                    torch (rows, cols) weight has ne = {cols, rows}; offset is
//                    relative to the data section and a multiple of alignment
//   padding to general.alignment (32), then the tensor data, each padded to 32.
// Tensor types written here (ggml block formats):
//   F32 (0), F16 (1);
//   Q8_0 (8): blocks of 32 = { f16 d; i8 q[32] } (34 bytes), x = d * q,
//     d = max|x| / 127, q = round-half-away(x / d)  (ggml quantize_row_q8_0_ref);
//   Q4_1 (3): blocks of 32 = { f16 d; f16 m; u8 qs[16] } (20 bytes), x = q * d + m,
//     qs[j] = q[j] | q[j + 16] << 4. Written from INT4 group-32 codes unchanged,
//     d = scale, m = -zero * scale rounded to f16: |x_gguf - x_int4| <=
//     |q| |d16 - scale| + |m16 - m| <= 2^-11 (15 |scale| + |zero scale|), at most
//     ~1.5% of one quantization step (tested).
// Names and metadata follow llama.cpp's convert_hf_to_gguf.py for "llama":
// token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm,
// ffn_gate, ffn_up, ffn_down}, output_norm, output; attn_q / attn_k rows are
// permuted from HF's rotate-half order to llama.cpp's interleaved RoPE order.
#pragma once
// Torch-free: what a GGUF file holds and the checked parser (gguf_reader.cpp);
// gguf.h adds the writer, the encoders and the tensor decoder.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace irq {


enum class GgmlType : uint32_t { kF32 = 0, kF16 = 1, kQ4_1 = 3, kQ8_0 = 8 };
const char* ggml_type_name(GgmlType t);
// Bytes of `count` elements (a multiple of the block length for block types).
uint64_t ggml_bytes(GgmlType t, int64_t count);

enum class GgufValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12
};

// One metadata entry; `value` holds numbers, strings or arrays of them.
struct GgufKv {
  std::string key;
  GgufValueType type = GgufValueType::kU32;
  GgufValueType element_type = GgufValueType::kU32;  // arrays
  nlohmann::json value;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;  // innermost first
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;      // within the data section
  int64_t numel() const;
};

// A parsed GGUF file (the data stays on disk; read_gguf_tensor in gguf.h decodes one).
struct GgufFile {
  std::filesystem::path path;
  uint32_t version = 0;
  std::vector<GgufKv> metadata;
  std::vector<GgufTensorInfo> tensors;
  uint64_t data_offset = 0;  // absolute file offset of the data section
  uint32_t alignment = 32;

  static GgufFile open(const std::filesystem::path& path);  // Error(kInvalidInput) naming the file and the problem
  const GgufKv* find(const std::string& key) const;
  const GgufTensorInfo* tensor(const std::string& name) const;
};

}  // namespace irq
