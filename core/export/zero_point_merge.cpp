// QA-LoRA's exact merge into the zero points (zero_point_merge.h).
#include "export/zero_point_merge.h"

#include <torch/torch.h>

#include "common/error.h"
#include "quant/quant_format.h"

namespace irq {

QuantizedTensor merge_into_zero_points(const QuantizedTensor& base, const torch::Tensor& delta, const std::string& name) {
  const auto& s = base.settings;
  const QuantFormat& format = require_quant_format(s.method);
  if (!format.zero_points || !format.affine_groups || !format.from_affine_groups || s.block_size < 1)
    throw make_error(ErrorKind::kUsage, name,
                     "only an INT base with groups takes an adapter into its zero points (this one is " + s.label() +
                         "); export --format merged writes a full-precision merge instead");
  const int64_t R = base.rows(), C = base.cols(), G = s.block_size, ngroups = (C + G - 1) / G;
  if (delta.dim() != 2 || delta.size(0) != R || delta.size(1) != C)
    throw make_error(ErrorKind::kInvalidInput, name, "adapter update does not match the weight's shape");
  const auto d = delta.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const double peak = std::max(d.abs().max().item<double>(), 1e-30);
  AffineGroups groups = format.affine_groups(base);
  const std::vector<float> zero = groups.zero;
  const double* dp = d.data_ptr<double>();
  double worst = 0;
  for (int64_t r = 0; r < R; ++r)
    for (int64_t g = 0; g < ngroups; ++g) {
      const int64_t c0 = g * G, L = std::min(G, C - c0);
      const double c = dp[r * C + c0];
      for (int64_t j = 1; j < L; ++j) worst = std::max(worst, std::abs(dp[r * C + c0 + j] - c));
      const size_t gi = static_cast<size_t>(r * ngroups + g);
      groups.zero[gi] = static_cast<float>(static_cast<double>(zero[gi]) - c / static_cast<double>(groups.scale[gi]));
    }
  if (worst > kMaxGroupVariation * peak)
    throw make_error(ErrorKind::kUsage, name,
                     "the adapter's update varies within the base's groups of " + std::to_string(G) + " columns (" +
                         std::to_string(worst / peak) +
                         " of its peak): only a QA-LoRA adapter trained with this group (finetune --qa-lora), with "
                         "IEC's in / rank a multiple of it, merges into the zero points");
  return format.from_affine_groups(s, base.shape, std::move(groups));
}

}  // namespace irq
