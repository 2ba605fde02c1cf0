// CPU compute on packed INT-k codes for the engine's quantized matmuls
// (quant/quantized_linear.h): rows of scale * (code - zero) per (row, group),
// and the decode product from the codes (QuantFormat::dequantize_rows,
// QuantFormat::rows_dot).
#pragma once

#include <cstdint>

#include "quant/quant_format.h"

namespace irq::intq {

// Equal to dequantize bit for bit; AVX-512 for 4-bit codes in rows of whole
// 64-code chunks and groups of a multiple of 16, scalar otherwise.
void dequantize_rows(const DeviceQuantTensor& t, int64_t row0, int64_t count, float* out);
// 4-bit codes with AVX-512 (false otherwise): per group scale * (sum code * x - zero * sum x).
bool rows_dot(const DeviceQuantTensor& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y, int64_t ldy);

}  // namespace irq::intq
