// The NF4 / ICQ-NF4 payload (quant/quantized_tensor.h lists its parts) as
// the plugin reads and writes it: typed references into a QuantizedTensor's
// parts, and typed pointers into a held weight's storage
// (DeviceQuantTensor) or a host QuantizedTensor. Only this plugin knows
// these names and types; core sees named parts.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/quant_format.h"
#include "quant/quantized_tensor.h"

namespace irq::nf4 {

// References into q's parts, every one added when absent (absmax_offset
// holds one float). Valid until q's parts are cleared.
struct Nf4Parts {
  std::vector<uint8_t>& codes;
  std::vector<uint8_t>& absmax_q;
  std::vector<float>& absmax_scale;
  float& absmax_offset;
  std::vector<uint8_t>& tau_q;
  std::vector<float>& tau_scale;
};
Nf4Parts nf4_parts(QuantizedTensor& q);

// Pointers into the payload; tau_q and tau_scale null where it holds no tau.
struct Nf4View : QuantGeometry {
  const uint8_t* codes = nullptr;
  const uint8_t* absmax_q = nullptr;
  const float* absmax_scale = nullptr;
  float absmax_offset = 0;
  const uint8_t* tau_q = nullptr;
  const float* tau_scale = nullptr;
};
Nf4View nf4_view(const DeviceQuantTensor& t);
// From host vectors (core's host_view); Error(kInvalidInput) when a part is
// missing or its length does not match the shape.
Nf4View nf4_view(const QuantizedTensor& q);

uint64_t payload_hash(const QuantizedTensor& q);  // QuantFormat::payload_hash

}  // namespace irq::nf4
