// Zero-copy torch views over memory-mapped safetensors data.
#include "io/tensor_view.h"

#include "common/error.h"

namespace irq {

torch::ScalarType to_scalar_type(DType dtype, const std::string& where) {
  switch (dtype) {
    case DType::kF64: return torch::kFloat64;
    case DType::kF32: return torch::kFloat32;
    case DType::kF16: return torch::kFloat16;
    case DType::kBF16: return torch::kBFloat16;
    case DType::kF8E4M3: return torch::kFloat8_e4m3fn;
    case DType::kF8E5M2: return torch::kFloat8_e5m2;
    case DType::kI64: return torch::kInt64;
    case DType::kI32: return torch::kInt32;
    case DType::kI16: return torch::kInt16;
    case DType::kI8: return torch::kInt8;
    case DType::kU8: return torch::kUInt8;
    case DType::kBool: return torch::kBool;
    case DType::kU16: return torch::kUInt16;
    case DType::kU32: return torch::kUInt32;
    case DType::kU64: return torch::kUInt64;
  }
  throw make_error(ErrorKind::kUnsupported, where, "dtype has no torch equivalent");
}

DType from_scalar_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return DType::kF64;
    case torch::kFloat32: return DType::kF32;
    case torch::kFloat16: return DType::kF16;
    case torch::kBFloat16: return DType::kBF16;
    case torch::kFloat8_e4m3fn: return DType::kF8E4M3;
    case torch::kFloat8_e5m2: return DType::kF8E5M2;
    case torch::kInt64: return DType::kI64;
    case torch::kInt32: return DType::kI32;
    case torch::kInt16: return DType::kI16;
    case torch::kInt8: return DType::kI8;
    case torch::kUInt8: return DType::kU8;
    case torch::kBool: return DType::kBool;
    case torch::kUInt16: return DType::kU16;
    case torch::kUInt32: return DType::kU32;
    case torch::kUInt64: return DType::kU64;
    default: break;
  }
  throw make_error(ErrorKind::kUnsupported, "safetensors", std::string("torch dtype ") + c10::toString(type) +
                                                              " cannot be stored");
}

torch::Tensor tensor_view(const SafetensorsFile& file, const TensorInfo& info) {
  const auto type = to_scalar_type(info.dtype, file.path().string() + ": tensor '" + info.name + "'");
  auto keep = file.mapping();
  void* ptr = const_cast<uint8_t*>(file.data(info));
  return torch::from_blob(ptr, info.shape, [keep](void*) {}, torch::TensorOptions().dtype(type));
}

}  // namespace irq
