// Table of safetensors dtypes: name and element size.
#include "io/dtype.h"

#include <array>

namespace irq {

namespace {
struct DTypeRow {
  DType dtype;
  const char* name;
  size_t size;
};
constexpr std::array<DTypeRow, 15> kDTypes = {{
    {DType::kF64, "F64", 8},    {DType::kF32, "F32", 4},         {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},  {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kF8E5M2, "F8_E5M2", 1},
    {DType::kI64, "I64", 8},    {DType::kI32, "I32", 4},         {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},      {DType::kU64, "U64", 8},         {DType::kU32, "U32", 4},
    {DType::kU16, "U16", 2},    {DType::kU8, "U8", 1},           {DType::kBool, "BOOL", 1},
}};
const DTypeRow& row(DType dtype) { return kDTypes[static_cast<size_t>(dtype)]; }
}  // namespace

size_t dtype_size(DType dtype) { return row(dtype).size; }
const char* dtype_name(DType dtype) { return row(dtype).name; }

std::optional<DType> dtype_from_name(const std::string& name) {
  for (const auto& r : kDTypes)
    if (name == r.name) return r.dtype;
  return std::nullopt;
}

}  // namespace irq
