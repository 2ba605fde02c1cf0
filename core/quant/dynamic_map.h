// bitsandbytes' signed 8-bit dynamic quantization map
// (create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)) and
// blockwise 8-bit quantization with it (quantize_blockwise: scale = absmax of
// the block, index = nearest map entry, first index on ties), as
// icq_oracle.py's dynamic_map_8bit / blockwise_8bit compute them in float32.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace irq {

const std::array<float, 256>& dynamic_map_8bit();
// The map's 0.0 (127 negative entries below it): what blockwise quantization
// of an all-zero block gives, e.g. plain NF4's tau, which is not stored.
constexpr uint8_t kDynamicMapZero = 127;

// x[0..n) in blocks of `block` (zero-padded): q[n] indices, scale[ceil(n/block)].
void quantize_blockwise_8bit(const float* x, int64_t n, int64_t block, uint8_t* q, float* scale);
// Nearest map index of v in [-1, 1] (first index on ties).
uint8_t nearest_dynamic_index(float v);

}  // namespace irq
