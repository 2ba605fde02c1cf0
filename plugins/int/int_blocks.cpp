// INT-k blocks for the Weights view (QuantFormat::block_members,
// block_levels): block b is group b % ngroups of row b / ngroups, its levels
// scale * (c - zero) for the 2^k codes.
#include <algorithm>

#include "int_rows.h"

namespace irq::intq {

std::vector<int64_t> block_members(const std::vector<int64_t>& shape, const QuantSettings& s, int64_t b) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  const int64_t cols = shape.size() == 2 ? shape[1] : numel, G = s.group_columns(cols), groups = (cols + G - 1) / G;
  const int64_t row = b / groups, g = b % groups;
  std::vector<int64_t> out;
  for (int64_t c = g * G; c < std::min(cols, (g + 1) * G); ++c) out.push_back(row * cols + c);
  return out;
}

std::vector<float> block_levels(const QuantizedTensor& q, int64_t b) {
  const IntView v = int_view(q);
  std::vector<float> out;
  for (int c = 0; c < (1 << q.settings.bits); ++c) out.push_back(v.scale[b] * (static_cast<float>(c) - v.zero[b]));
  return out;
}

}  // namespace irq::intq
