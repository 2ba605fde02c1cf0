// Writer of the safetensors format (layout documented in io/safetensors.h).
// Tensors are laid out in the order given, the header is padded with spaces
// to a multiple of 8 bytes, and the file is written atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace irq {

struct TensorBlob {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // numel * dtype_size bytes, borrowed until write returns
};

// Throws Error(kUsage) on duplicate names or a bad shape, Error(kIo) on write failure.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorBlob>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The serialised file in memory (used by the writer and by tests that corrupt bytes).
std::string serialize_safetensors(const std::vector<TensorBlob>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace irq
