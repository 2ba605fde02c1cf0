// The INT-k payload (quant/quantized_tensor.h lists its parts: codes, scale,
// zero) as the plugin reads and writes it: typed references into a
// QuantizedTensor's parts, typed pointers into a held weight's storage
// (DeviceQuantTensor) or a host QuantizedTensor, its payload hash, and its
// exact conversion to and from the format-independent AffineGroups.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/quant_format.h"
#include "quant/quantized_tensor.h"

namespace irq::intq {

// References into q's parts, each added when absent. Valid until q's parts
// are cleared.
struct IntParts {
  std::vector<uint8_t>& codes;
  std::vector<float>& scale;  // rows * ngroups
  std::vector<float>& zero;
};
IntParts int_parts(QuantizedTensor& q);

struct IntView : QuantGeometry {
  const uint8_t* codes = nullptr;
  const float* scale = nullptr;
  const float* zero = nullptr;
};
IntView int_view(const DeviceQuantTensor& t);
// From host vectors (core's host_view); Error(kInvalidInput) when a part is
// missing or its length does not match the shape.
IntView int_view(const QuantizedTensor& q);

uint64_t payload_hash(const QuantizedTensor& q);  // QuantFormat::payload_hash
AffineGroups affine_groups(const QuantizedTensor& q);
QuantizedTensor from_affine_groups(const QuantSettings& s, const std::vector<int64_t>& shape, AffineGroups g);

}  // namespace irq::intq
