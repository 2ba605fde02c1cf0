// Bridge from safetensors byte spans to torch tensors: zero-copy CPU views
// that keep the file mapping alive, and the dtype correspondence.
#pragma once

#include <torch/types.h>

#include "io/safetensors.h"

namespace irq {

torch::ScalarType to_scalar_type(DType dtype, const std::string& where);
DType from_scalar_type(torch::ScalarType type);

// A read-only view of the tensor's bytes in the mapping (no copy). Writing
// to it is undefined: the mapping is PROT_READ.
torch::Tensor tensor_view(const SafetensorsFile& file, const TensorInfo& info);

}  // namespace irq
