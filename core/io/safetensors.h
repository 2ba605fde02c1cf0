// Reader of the safetensors format (huggingface/safetensors), memory-mapped,
// with strict validation of the header. Torch-free: tensors are byte spans;
// io/tensor_view.h turns them into zero-copy torch tensors.
//
// Byte layout (little endian):
//   [0, 8)        u64 N: length of the JSON header
//   [8, 8+N)      UTF-8 JSON object: {"__metadata__": {str: str} (optional),
//                   "<name>": {"dtype": "F32", "shape": [d0, ...],
//                              "data_offsets": [begin, end]}, ...}
//                 (writers pad it with spaces to a multiple of 8)
//   [8+N, EOF)    the data section; offsets are relative to its start.
// Validation, as the reference implementation does it: N fits in the file,
// the header is a JSON object, every dtype is known, every shape is a list of
// non-negative integers, end - begin == numel * dtype size, and the spans,
// sorted by begin, tile the data section exactly (no overlap, no gap, none
// past the end).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/mapped_file.h"
#include "io/dtype.h"

namespace irq {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets into the data section
  uint64_t end = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; throws Error naming the file (and tensor).
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return map_->path(); }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const TensorInfo* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const uint8_t* data(const TensorInfo& info) const { return map_->data() + data_start_ + info.begin; }
  const std::shared_ptr<MappedFile>& mapping() const { return map_; }
  // The tensor's bytes leave this process's resident set (MappedFile::release_pages).
  void release(const TensorInfo& info) const;
  // The tensor's bytes are read ahead in the background (MappedFile::prefetch_pages).
  void prefetch(const TensorInfo& info) const;
  uint64_t header_size() const { return data_start_; }

 private:
  std::shared_ptr<MappedFile> map_;
  uint64_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace irq
