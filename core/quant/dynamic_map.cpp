// The 8-bit dynamic map and blockwise 8-bit quantization (see dynamic_map.h).
#include "quant/dynamic_map.h"

#include <algorithm>
#include <cmath>

#include "common/parallel.h"

namespace irq {

const std::array<float, 256>& dynamic_map_8bit() {
  static const std::array<float, 256> map = [] {
    std::vector<double> data;
    for (int i = 0; i < 7; ++i) {
      const int items = (1 << i) + 1;
      // np.linspace(0.1, 1.0, items, dtype=float32): computed in float64, cast to float32
      std::vector<float> b(static_cast<size_t>(items));
      const double step = (1.0 - 0.1) / (items - 1);
      for (int k = 0; k < items; ++k) b[static_cast<size_t>(k)] = static_cast<float>(k == items - 1 ? 1.0 : 0.1 + k * step);
      const double scale = std::pow(10.0, -6 + i);
      for (int k = 0; k + 1 < items; ++k) {
        const double mean = static_cast<double>((b[static_cast<size_t>(k)] + b[static_cast<size_t>(k) + 1]) / 2.0f);
        data.push_back(scale * mean);
        data.push_back(-scale * mean);
      }
    }
    data.push_back(0.0);
    data.push_back(1.0);
    std::sort(data.begin(), data.end());
    std::array<float, 256> out{};
    for (size_t i = 0; i < 256; ++i) out[i] = static_cast<float>(data[i]);
    return out;
  }();
  return map;
}

uint8_t nearest_dynamic_index(float v) {
  const auto& map = dynamic_map_8bit();
  // The map is sorted: binary search, then pick the nearer neighbour (lower on ties).
  const auto it = std::lower_bound(map.begin(), map.end(), v);
  size_t hi = static_cast<size_t>(it - map.begin());
  if (hi == 0) return 0;
  if (hi == map.size()) return 255;
  const size_t lo = hi - 1;
  const float dlo = std::fabs(v - map[lo]);
  const float dhi = std::fabs(v - map[hi]);
  size_t best = dhi < dlo ? hi : lo;
  float dbest = std::min(dlo, dhi);
  // argmin over float32 distances takes the first index on ties: an earlier
  // entry whose rounded distance equals the best one wins.
  for (size_t k = lo; k-- > 0;) {
    const float d = std::fabs(v - map[k]);
    if (d > dbest) break;
    best = k;
    dbest = d;
  }
  return static_cast<uint8_t>(best);
}

void quantize_blockwise_8bit(const float* x, int64_t n, int64_t block, uint8_t* q, float* scale) {
  const int64_t blocks = (n + block - 1) / block;
  // Blocks are independent: in parallel (a 7B model has 4e5 of them per array).
  parallel_for(blocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(block, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t begin = b * block, end = std::min(n, begin + block);
      float amax = 0;
      for (int64_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(x[i]));
      scale[b] = amax;
      const float safe = amax > 0 ? amax : 1.0f;
      for (int64_t i = begin; i < end; ++i) q[i] = nearest_dynamic_index(x[i] / safe);
    }
  });
}

}  // namespace irq
