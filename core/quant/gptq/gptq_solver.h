// GPTQ for one weight (Frantar et al. 2022, "OPTQ"; AutoGPTQ's
// quantization/gptq.py fasterquant, whose semantics decide the codes):
//   dead inputs (H_ii = 0): H_ii = 1, W[:, i] = 0; damp = damp * mean(diag H)
//   added to the diagonal; Hinv = upper Cholesky factor of H^-1 (the
//   factorisations in float64, the loop in float32); columns in lazy batches
//   of 128: q_i = quant(w_i), err = (w_i - q_i) / Hinv_ii, the columns right of
//   i in the batch -= err Hinv[i, i:], then the columns after the batch.
//   Groups: find_params (gptq_params.h) when a group starts, on W's columns as
//   they are at that point — without the updates from earlier columns of the
//   same batch, AutoGPTQ's behaviour, kept — or, with act-order, on every
//   contiguous group before the loop ("static groups"), columns visited by
//   descending diag(H). Per channel: one find_params over whole rows first.
// Shapes: R rows (out features), C columns (in features), G group columns.
#pragma once

#include <torch/types.h>

#include "common/progress.h"
#include "quant/quant_stats.h"
#include "quant/quantized_tensor.h"

namespace irq {

struct GptqWeightResult {
  QuantizedTensor quantized;  // INT layout (quantized_tensor.h), codes in the original column order
  LayerQuantStats stats;      // per group: entropy of the searched columns (p = 1 and chosen p), p, scale, MSE
  double loss = 0;            // AutoGPTQ's sum of Losses: sum (w - q)^2 / Hinv_ii^2 / 2
};

// W (R, C) float32, H (C, C) float32 (the layer's calibration Hessian), both
// on the device to run on. settings: an INT method with gptq.enabled.
GptqWeightResult gptq_quantize_weight(const torch::Tensor& W, const torch::Tensor& H, const QuantSettings& settings,
                                      const std::string& name, bool keep_block_histograms = false,
                                      const CancelToken* cancel = nullptr);

}  // namespace irq
