// A QuantizedWeight's tensors as the pointer view the format plugins take
// (DeviceQuantTensor, quant_format.h), on whatever device they are: the
// CUDA dequantization and the CPU matmuls (quantized_linear.h) both build it
// here. Empty tensors (no tau, no INT scales) are null pointers.
#pragma once

#include "quant/quant_format.h"
#include "quant/quantized_weight.h"

namespace irq {

DeviceQuantTensor quant_view(const QuantizedWeight& w);

}  // namespace irq
