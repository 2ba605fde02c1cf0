// INT-k weights held as torch tensors (quant/quantized_weight.h):
// QuantFormat::dequantize_weight in torch ops on the weight's device,
// w = scale[r, g] * (code - zero[r, g]) as the CPU dequant computes it.
#include <torch/torch.h>

#include "int_rows.h"
#include "quant/quantized_weight.h"

namespace irq::intq {

namespace {

torch::Tensor dequantize_weight(const QuantizedWeight& w, torch::ScalarType dtype) {
  const int64_t n = w.numel(), rows = w.shape.size() >= 2 ? w.shape[0] : 1, cols = n / rows;
  const int64_t G = w.settings.group_columns(cols), ngroups = (cols + G - 1) / G;
  auto q = unpack_codes_tensor(w.codes(), w.settings.bits, n).to(torch::kFloat32).view({rows, cols});
  auto s = w.part("scale").view({rows, ngroups}).repeat_interleave(G, 1).narrow(1, 0, cols);
  auto z = w.part("zero").view({rows, ngroups}).repeat_interleave(G, 1).narrow(1, 0, cols);
  return (s * (q - z)).view(w.shape).to(dtype);
}

}  // namespace

void add_torch_entries(QuantFormat& f) { f.dequantize_weight = dequantize_weight; }

}  // namespace irq::intq
