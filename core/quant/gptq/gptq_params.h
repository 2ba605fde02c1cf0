// GPTQ's find_params for INT-k, and IR-QLoRA's information-calibrated variant
// that replaces it ("integer quantizer/quantizer_icq.py"), vectorised over
// the rows of a column group in torch ops on the group's device:
//   range per row [min(x, 0), max(x, 0)]; symmetric: xmax = max(|xmin|, xmax),
//   xmin = -xmax where xmin < 0, zero = (maxq + 1) / 2; a row of zeros gets
//   [-1, 1]; scale = (xmax - xmin) / maxq, asymmetric zero = round(-xmin / scale).
//   ICQ: for p in [1] + linspace(1, 1 + lambda, n + 1)[1:] + linspace(1, 1 - lambda,
//   n + 1)[1:] (float32 torch.linspace, as the reference), the range [p xmin,
//   p xmax] (zero recomputed when asymmetric), codes clamp(round(x / scale) +
//   zero, 0, maxq), entropy sum over levels of -f log2 f, f = count / L; the
//   first highest entropy wins. Every code is counted: quantizer_icq.py's
//   int8 cast drops codes >= 128 at 8 bits (README, fidelity).
#pragma once

#include <torch/types.h>

namespace irq {

struct GroupParams {
  torch::Tensor scale, zero;               // (rows) float32
  torch::Tensor p;                         // (rows) chosen range multiplier (1 without ICQ)
  torch::Tensor candidate;                 // (rows) int64 index of p among the candidates (0 without ICQ)
  torch::Tensor entropy_plain, entropy;    // (rows) bits: p = 1, and the chosen p
};

struct ParamsOptions {
  int bits = 4;
  bool sym = false;
  bool icq = false;
  double lambda = 0.1;
  int n = 50;
};

// x (rows, L) float32; returns tensors on x's device.
GroupParams find_params(const torch::Tensor& x, const ParamsOptions& o);

// Codes of x (rows, L) for per-row scale and zero: clamp(round(x / scale) + zero, 0, maxq), float32.
torch::Tensor quantize_codes(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& zero, int64_t maxq);

// Entropy in bits of each row's codes (rows, L) int64 over `levels` values (float32, as the reference sums it).
torch::Tensor row_code_entropy(const torch::Tensor& codes, int64_t levels);

}  // namespace irq
