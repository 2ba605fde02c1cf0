// y = x W^T + b for a frozen quantized W without the whole dequantized
// weight: on the CPU in float32, through the format's dequantize_rows
// (quant_format.h), in two shapes of work:
//   - decode (at most kGemvRows rows of x, M): the format's fused rows_dot
//     where it applies (NF4 with AVX-512: levels looked up 16 at a time and
//     multiplied into the inputs, amax and tau applied once per block);
//     otherwise each thread dequantizes one weight row into a buffer that
//     stays in its cache and takes its dot products with the M inputs (AVX2
//     + FMA where the CPU has it). Memory traffic is the packed codes, not 4
//     bytes per weight.
//   - prefill and training (more rows): row tiles of about kTileValues
//     weights are dequantized (in parallel) and multiplied by LibTorch's GEMM;
//     the backward pass (the input's gradient; the base is frozen) runs the
//     same tiles. Peak memory is one tile, not the weight.
// Results equal dequantize() + linear within float32 rounding (summation
// order), tested against a float64 reference (test_quantized_linear).
// Anything else (CUDA, other dtypes, a format without dequantize_rows) runs
// the plain dequantize() + linear.
#pragma once

#include <torch/types.h>

#include "quant/quantized_weight.h"

namespace irq {

inline constexpr int64_t kGemvRows = 8;                    // decode path up to this many rows of x
inline constexpr int64_t kTileValues = int64_t{1} << 22;    // weights per dequantized tile (16 MiB float32)

// x (..., in) -> (..., out). tile_values: weights per tile (tests pass small ones).
torch::Tensor quantized_linear(const torch::Tensor& x, const QuantizedWeight& w, const torch::Tensor& bias,
                               int64_t tile_values = kTileValues);

// Whether quantized_linear takes the tiled/row path for this input (else dequantize + linear).
bool quantized_linear_fast_path(const torch::Tensor& x, const QuantizedWeight& w);

}  // namespace irq
