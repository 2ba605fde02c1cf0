// Per-block and per-layer statistics of a quantization pass, computed in the
// same pass as the codes: code entropy before (plain NF4/INT) and after ICQ,
// the chosen offset tau (NF4) or range multiplier (INT), absmax/scale, error
// (MSE, SQNR) and code histograms. Plain data: it feeds the GUI's plots, the
// runs database and the CLI's stats JSON.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "quant/quant_settings.h"

namespace irq {

struct LayerQuantStats {
  std::string name;            // HF tensor name
  std::vector<int64_t> shape;
  int64_t numel = 0;
  int64_t blocks = 0;          // NF4 blocks or INT (row, group) groups
  int levels = 16;             // 2^bits
  // per block / group
  std::vector<float> entropy_plain;  // bits, plain quantizer (tau 0 / p 1)
  std::vector<float> entropy;        // bits, after ICQ (== plain without ICQ)
  std::vector<float> offset;         // NF4: tau; INT: range multiplier p
  std::vector<int32_t> candidate;    // chosen candidate index; -1 without ICQ
  std::vector<float> absmax;         // NF4: absmax of w - tau; INT: scale
  std::vector<float> mse;            // mean squared error of the dequantized block
  std::vector<uint16_t> histogram;   // blocks x levels code counts
  // layer
  std::vector<int64_t> code_histogram;  // levels
  double mean_entropy_plain = 0, mean_entropy = 0;
  double mse_total = 0;    // mean over all weights
  double sqnr_db = 0;      // 10 log10(sum w^2 / sum (w - dq)^2)
  double bits_per_weight = 0;  // stored bytes * 8 / numel, scales included
  double offset_spread = 0;    // standard deviation of `offset` over the blocks (0 without ICQ)
  double seconds = 0;
  // Where the time went, phase by phase (name, seconds), as far as the
  // quantizer and the loop around it measure it (the GPU path: reading and
  // moving the weight, the device kernel, copies back, double quantization...).
  std::vector<std::pair<std::string, double>> phases;

  double entropy_gain() const { return mean_entropy - mean_entropy_plain; }
  // Fills the layer figures from the per-block vectors and the sums.
  void finish(double sum_w2, double sum_err2, uint64_t storage_bytes);
};

struct ModelQuantStats {
  QuantSettings settings;
  std::string model_dir;
  std::vector<LayerQuantStats> layers;
  double seconds = 0;
  int64_t numel = 0;
  double mean_entropy_plain = 0, mean_entropy = 0, mse = 0, sqnr_db = 0, bits_per_weight = 0;
  void finish();  // model figures, weighted by layer size
  // "NF4 ICQ (...) base: entropy 3.68 -> 3.76 bits, SQNR 20.71 dB, 4.272 bits/weight"
  std::string summary() const;
};

// per_block: include the per-block arrays (large for big models).
nlohmann::json to_json(const LayerQuantStats& s, bool per_block);
nlohmann::json to_json(const ModelQuantStats& s, bool per_block);

}  // namespace irq
