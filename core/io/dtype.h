// Element types of safetensors files and their byte sizes, with the names
// the format uses ("F32", "BF16", ...). Torch-free.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace irq {

enum class DType { kF64, kF32, kF16, kBF16, kF8E4M3, kF8E5M2, kI64, kI32, kI16, kI8, kU64, kU32, kU16, kU8, kBool };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // safetensors spelling
std::optional<DType> dtype_from_name(const std::string& name);

}  // namespace irq
