// y = x W^T + b for a frozen quantized W without the whole dequantized
// weight, in two shapes of work:
//   - decode (at most kGemvRows rows of x, M): on the CPU (float32) the
//     format's fused rows_dot where it applies (NF4 with AVX-512: levels
//     looked up 16 at a time and multiplied into the inputs, amax and tau
//     applied once per block); otherwise each thread dequantizes one weight
//     row into a buffer that stays in its cache and takes its dot products
//     with the M inputs (AVX2 + FMA where the CPU has it). On the GPU
//     (float32 or bfloat16) the format's gemv_cuda reads the packed codes, a
//     warp per output row. Memory traffic is the packed codes, not a
//     dequantized weight.
//   - prefill and training (more rows): tiles of about kTileValues weights
//     are dequantized (CPU: rows, in parallel; GPU: dequantize_tile_cuda) and
//     multiplied by LibTorch's GEMM; the backward pass (the input's gradient;
//     the base is frozen) runs the same tiles (GPU: column windows, so that
//     each gradient value comes from one GEMM; each GEMM writes a contiguous
//     row block of the transposed result, no copy per tile). Peak memory is
//     one tile, not the weight; on the GPU a tile (16 MiB in bfloat16) stays
//     in L2.
// Results equal dequantize() + linear within float32 rounding (summation
// order), tested against a float64 reference (test_quantized_linear; the
// GPU paths in irqlora-check-cuda).
// Anything else (other dtypes, a format without these entries) runs the
// plain dequantize() + linear.
#pragma once

#include <torch/types.h>

#include "quant/quantized_weight.h"

namespace irq {

inline constexpr int64_t kGemvRows = 8;                    // decode path up to this many rows of x
inline constexpr int64_t kTileValues = int64_t{1} << 22;      // CPU: weights per dequantized tile (16 MiB float32)
inline constexpr int64_t kCudaTileValues = int64_t{1} << 23;  // GPU: 16 MiB in bfloat16, resident in an H100/H200's L2

// x (..., in) -> (..., out). tile_values: weights per tile (tests pass small
// ones); 0: kTileValues on the CPU, kCudaTileValues on the GPU.
torch::Tensor quantized_linear(const torch::Tensor& x, const QuantizedWeight& w, const torch::Tensor& bias,
                               int64_t tile_values = 0);

// Whether quantized_linear takes the tiled/row path for this input (else dequantize + linear).
bool quantized_linear_fast_path(const torch::Tensor& x, const QuantizedWeight& w);

}  // namespace irq
