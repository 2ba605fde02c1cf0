// Layers x projections grid of a quantization's figures (layer_grid.h).
#include "quant/layer_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>

#include "quant/model_quantizer.h"

namespace irq {

const std::vector<LayerStatistic>& layer_statistics() {
  static const std::vector<LayerStatistic> all = {LayerStatistic::kEntropyGain, LayerStatistic::kMse, LayerStatistic::kSqnr,
                                                  LayerStatistic::kOffsetSpread, LayerStatistic::kBitsPerWeight};
  return all;
}

std::string statistic_label(LayerStatistic s) {
  switch (s) {
    case LayerStatistic::kEntropyGain: return "entropy gain (bits)";
    case LayerStatistic::kMse: return "MSE";
    case LayerStatistic::kSqnr: return "SQNR (dB)";
    case LayerStatistic::kOffsetSpread: return "offset spread (std of tau / p)";
    case LayerStatistic::kBitsPerWeight: return "bits / weight";
  }
  return "";
}

double statistic_of(const LayerFigures& f, LayerStatistic s) {
  switch (s) {
    case LayerStatistic::kEntropyGain: return f.entropy - f.entropy_plain;
    case LayerStatistic::kMse: return f.mse;
    case LayerStatistic::kSqnr: return f.sqnr_db;
    case LayerStatistic::kOffsetSpread: return f.offset_spread;
    case LayerStatistic::kBitsPerWeight: return f.bits_per_weight;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

LayerFigures figures_of(const LayerQuantStats& s) {
  return {s.name, s.mean_entropy_plain, s.mean_entropy, s.mse_total, s.sqnr_db, s.bits_per_weight, s.offset_spread};
}

LayerGrid layer_grid(const std::vector<LayerFigures>& rows, LayerStatistic stat) {
  static const std::regex kName(R"(model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+_proj)\.weight)");
  struct Cell {
    int64_t layer;
    std::string proj, name;
    double value;
  };
  std::vector<Cell> cells;
  LayerGrid g;
  std::vector<bool> present(projection_names().size(), false);
  for (const auto& r : rows) {
    std::smatch m;
    if (!std::regex_match(r.name, m, kName)) continue;
    const auto& all = projection_names();
    const auto it = std::find(all.begin(), all.end(), m[2].str());
    if (it == all.end()) continue;
    present[static_cast<size_t>(it - all.begin())] = true;
    cells.push_back({std::stoll(m[1].str()), m[2].str(), r.name, statistic_of(r, stat)});
    g.layers = std::max(g.layers, cells.back().layer + 1);
  }
  for (size_t i = 0; i < present.size(); ++i)
    if (present[i]) g.projections.push_back(projection_names()[i]);
  const size_t cols = g.projections.size();
  g.values.assign(static_cast<size_t>(g.layers) * cols, std::numeric_limits<double>::quiet_NaN());
  g.names.assign(g.values.size(), "");
  for (const auto& c : cells) {
    const size_t col = static_cast<size_t>(std::find(g.projections.begin(), g.projections.end(), c.proj) - g.projections.begin());
    const size_t i = static_cast<size_t>(c.layer) * cols + col;
    g.values[i] = c.value;
    g.names[i] = c.name;
  }
  return g;
}

}  // namespace irq
