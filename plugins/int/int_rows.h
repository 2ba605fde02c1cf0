// The INT format's entries of its QuantFormat row apart from quantizing
// (int_quantize.cpp): CPU compute on packed INT-k codes for the engine's
// quantized matmuls (quant/quantized_linear.h: rows of scale * (code - zero)
// per (row, group), the decode product from the codes), the torch dequant of
// a held weight (int_torch.cpp) and the Weights view's blocks (int_blocks.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "int_payload.h"
#include "quant/quant_format.h"

namespace irq::intq {

// Equal to dequantize bit for bit; AVX-512 for 4-bit codes in rows of whole
// 64-code chunks and groups of a multiple of 16, scalar otherwise.
void dequantize_rows(const IntView& t, int64_t row0, int64_t count, float* out);
// 4-bit codes with AVX-512 (false otherwise): per group scale * (sum code * x - zero * sum x).
bool rows_dot(const IntView& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y, int64_t ldy);

void add_torch_entries(QuantFormat& f);  // dequantize_weight
std::vector<int64_t> block_members(const std::vector<int64_t>& shape, const QuantSettings& s, int64_t b);
std::vector<float> block_levels(const QuantizedTensor& q, int64_t b);

}  // namespace irq::intq
