// find_params and its ICQ search (gptq_params.h), op for op as the reference
// computes them in float32 so that ties between candidates break the same way.
#include "quant/gptq/gptq_params.h"

#include <torch/torch.h>

namespace irq {

torch::Tensor quantize_codes(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& zero, int64_t maxq) {
  return torch::clamp(torch::round(x / scale.unsqueeze(1)) + zero.unsqueeze(1), 0, maxq);
}

torch::Tensor row_code_entropy(const torch::Tensor& codes, int64_t levels) {
  const int64_t L = codes.size(1);
  auto counts = torch::zeros({codes.size(0), levels}, codes.options().dtype(torch::kInt64))
                    .scatter_add_(1, codes, torch::ones_like(codes));
  auto f = torch::div(counts.t().contiguous(), L);  // (levels, rows) float32: count / L
  auto e = -f * torch::log2(f);
  e = torch::where(torch::isnan(e), torch::zeros_like(e), e);
  return e.sum(0);
}

GroupParams find_params(const torch::Tensor& x, const ParamsOptions& o) {
  const int64_t maxq = (int64_t{1} << o.bits) - 1;
  const auto zeros = torch::zeros({x.size(0)}, x.options());
  auto xmin = torch::minimum(std::get<0>(x.min(1)), zeros);
  auto xmax = torch::maximum(std::get<0>(x.max(1)), zeros);
  if (o.sym) {
    xmax = torch::maximum(xmin.abs(), xmax);
    xmin = torch::where(xmin < 0, -xmax, xmin);
  }
  const auto both = (xmin == 0).logical_and(xmax == 0);
  xmin = torch::where(both, torch::full_like(xmin, -1), xmin);
  xmax = torch::where(both, torch::full_like(xmax, 1), xmax);
  const auto sym_zero = torch::full_like(xmin, static_cast<double>(maxq + 1) / 2);

  // The candidates on the CPU in float32, as the reference builds them.
  auto cands = torch::ones({1});
  if (o.icq)
    cands = torch::cat({cands, torch::linspace(1.0, 1.0 + o.lambda, o.n + 1).slice(0, 1),
                        torch::linspace(1.0, 1.0 - o.lambda, o.n + 1).slice(0, 1)});
  GroupParams g;
  auto best = torch::full({x.size(0)}, INFINITY, x.options());
  for (int64_t i = 0; i < cands.size(0); ++i) {
    const auto p = cands[i];  // 0-dim float32
    const auto lo = p * xmin, hi = p * xmax;
    const auto s1 = (hi - lo) / maxq;
    const auto z1 = o.sym ? sym_zero : torch::round(-lo / s1);
    const auto h = row_code_entropy(quantize_codes(x, s1, z1, maxq).to(torch::kInt64), maxq + 1);
    if (i == 0) {
      g.scale = s1;
      g.zero = z1;
      g.p = torch::ones_like(s1);
      g.candidate = torch::zeros({x.size(0)}, x.options().dtype(torch::kInt64));
      g.entropy_plain = h;
      best = -h;
      continue;
    }
    const auto better = -h < best;
    best = torch::where(better, -h, best);
    g.scale = torch::where(better, s1, g.scale);
    g.zero = torch::where(better, z1, g.zero);
    g.p = torch::where(better, p.to(x.device()), g.p);
    g.candidate = torch::where(better, torch::full_like(g.candidate, i), g.candidate);
  }
  g.entropy = -best;
  return g;
}

}  // namespace irq
