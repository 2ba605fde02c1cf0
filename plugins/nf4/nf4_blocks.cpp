// NF4 blocks for the Weights view (QuantFormat::block_members, block_levels,
// search_curve): block b is weights [b*B, (b+1)*B) of the flattened weight,
// its levels NF4[c] * amax + tau with amax and tau double-quantized.
#include <algorithm>

#include "nf4_internal.h"
#include "nf4_payload.h"
#include "quant/dynamic_map.h"
#include "quant/nf4_levels.h"

namespace irq::nf4 {

std::vector<int64_t> block_members(const std::vector<int64_t>& shape, const QuantSettings& s, int64_t b) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  std::vector<int64_t> out;
  for (int64_t k = b * s.block_size; k < std::min(numel, (b + 1) * s.block_size); ++k) out.push_back(k);
  return out;
}

std::vector<float> block_levels(const QuantizedTensor& q, int64_t b) {
  const auto& map = dynamic_map_8bit();
  const size_t i = static_cast<size_t>(b), g = static_cast<size_t>(b / q.settings.stats_block);
  const Nf4View v = nf4_view(q);
  const float amax = map[v.absmax_q[i]] * v.absmax_scale[g] + v.absmax_offset;
  const float tau = v.tau_q ? map[v.tau_q[i]] * v.tau_scale[g] : 0.0f;
  std::vector<float> out;
  for (float level : kNf4Levels) out.push_back(level * amax + tau);
  return out;
}

std::vector<SearchPoint> padded_search_curve(const float* w, int64_t length, const QuantSettings& s) {
  // A short last block is quantized zero-padded to the block size: searched so too.
  std::vector<float> block(w, w + length);
  if (length < s.block_size) block.resize(static_cast<size_t>(s.block_size), 0.0f);
  return search_curve(block.data(), static_cast<int64_t>(block.size()), s);
}

}  // namespace irq::nf4
