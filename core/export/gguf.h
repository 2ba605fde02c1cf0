// GGUF writing, the ggml block encoders and the tensor decoder (torch); the
// file layout and the parser are in gguf_format.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "export/gguf_format.h"

namespace irq {

// Streams a GGUF file: header and tensor infos first (offsets computed from
// the declared types and shapes), then each tensor's encoded bytes in the
// declared order. Written to a temporary sibling, renamed by finish().
class GgufWriter {
 public:
  GgufWriter(const std::filesystem::path& path, std::vector<GgufKv> metadata, std::vector<GgufTensorInfo> tensors);
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;
  void write(const std::string& name, const void* data, uint64_t bytes);  // the next declared tensor
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Encoders (x: float32, numel a multiple of 32, row-major).
std::vector<uint8_t> encode_q8_0(const torch::Tensor& x);
// codes (N*32 values 0..15), d and m per block (N) in float32, rounded to f16 here.
std::vector<uint8_t> encode_q4_1(const torch::Tensor& codes, const torch::Tensor& d, const torch::Tensor& m);
std::vector<uint8_t> encode_f16(const torch::Tensor& x);

// One tensor of a parsed file, decoded to float32 with torch's (rows, cols)
// shape (ne reversed).
torch::Tensor read_gguf_tensor(const GgufFile& file, const std::string& name);

}  // namespace irq
