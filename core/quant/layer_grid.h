// The model-wide picture of a quantization (the workbench's heatmap): one
// number per (decoder layer, projection) from a run's per-layer figures —
// a fresh pass (LayerQuantStats) or a recorded one (the runs database's
// quant_layers). Weight names "model.layers.L.{self_attn|mlp}.P.weight";
// others are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quant/quant_stats.h"

namespace irq {

enum class LayerStatistic { kEntropyGain, kMse, kSqnr, kOffsetSpread, kBitsPerWeight };

struct LayerFigures {
  std::string name;
  double entropy_plain = 0, entropy = 0, mse = 0, sqnr_db = 0, bits_per_weight = 0;
  double offset_spread = 0;  // NaN when not recorded
};

struct LayerGrid {
  int64_t layers = 0;                    // rows: decoder layers 0 .. layers-1
  std::vector<std::string> projections;  // columns, in projection order, those present
  std::vector<double> values;            // layers x projections, row-major; NaN where absent
  std::vector<std::string> names;        // the weight name of each cell ("" where absent)
  double at(int64_t layer, size_t projection) const { return values[static_cast<size_t>(layer) * projections.size() + projection]; }
  const std::string& name(int64_t layer, size_t projection) const {
    return names[static_cast<size_t>(layer) * projections.size() + projection];
  }
};

const std::vector<LayerStatistic>& layer_statistics();
std::string statistic_label(LayerStatistic s);  // "entropy gain (bits)", ...
double statistic_of(const LayerFigures& f, LayerStatistic s);
LayerFigures figures_of(const LayerQuantStats& s);
LayerGrid layer_grid(const std::vector<LayerFigures>& rows, LayerStatistic s);

}  // namespace irq
