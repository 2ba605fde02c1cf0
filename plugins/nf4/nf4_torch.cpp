// NF4 / ICQ-NF4 weights held as torch tensors (quant/quantized_weight.h):
// QuantFormat::dequantize_weight. On a CUDA device the format's kernel (one
// pass, 8 codes per thread, on LibTorch's current stream); elsewhere torch
// ops in the CPU dequant's float order:
//   w = NF4[code] * (DYN8[absmax_q] * absmax_scale + absmax_offset) + DYN8[tau_q] * tau_scale
#include <c10/core/DeviceGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include "nf4_cuda.h"
#include "nf4_internal.h"
#include "quant/nf4_levels.h"
#include "quant/quant_view.h"
#include "quant/quantized_weight.h"

namespace irq::nf4 {

namespace {

torch::Tensor dequantize_weight(const QuantizedWeight& w, torch::ScalarType dtype) {
  const QuantSettings& s = w.settings;
  const torch::Tensor& codes = w.codes();
  const torch::Tensor* tau_q = w.find_part("tau_q");
  const bool tau = tau_q && tau_q->numel() > 0;
  if (codes.is_cuda() && cuda::available() && s.block_size % 8 == 0 && tau &&
      (dtype == torch::kBFloat16 || dtype == torch::kFloat32)) {
    c10::DeviceGuard guard(codes.device());
    auto out = torch::empty(w.shape, torch::TensorOptions().dtype(dtype).device(codes.device()));
    const Nf4View t = nf4_view(quant_view(w));
    const void* stream = c10::cuda::getCurrentCUDAStream(codes.device().index()).stream();
    cuda::dequantize(t.codes, t.numel, static_cast<int>(s.block_size), static_cast<int>(s.stats_block), t.absmax_q,
                     t.absmax_scale, t.absmax_offset, t.tau_q, t.tau_scale, out.data_ptr(), dtype == torch::kBFloat16,
                     const_cast<void*>(stream));
    return out;
  }
  const torch::Tensor& absmax_q = w.part("absmax_q");
  const int64_t B = s.block_size, nblocks = absmax_q.numel();
  auto levels = torch::from_blob(const_cast<float*>(kNf4Levels.data()), {16}, torch::kFloat32).to(codes.device());
  auto idx = unpack_codes_tensor(codes, 4, nblocks * B);
  auto amax = dequantize_dynamic_8bit(absmax_q, w.part("absmax_scale"), s.stats_block) + w.scalar("absmax_offset");
  auto x = levels.index_select(0, idx).view({nblocks, B}) * amax.unsqueeze(1);
  if (tau) x = x + dequantize_dynamic_8bit(*tau_q, w.part("tau_scale"), s.stats_block).unsqueeze(1);
  return x.reshape({-1}).narrow(0, 0, w.numel()).view(w.shape).to(dtype);
}

}  // namespace

void add_torch_entries(QuantFormat& f) { f.dequantize_weight = dequantize_weight; }

}  // namespace irq::nf4
