// Layer and model summaries of quantization statistics, and their JSON.
#include "quant/quant_stats.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace irq {

namespace {
double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}
double sqnr(double signal, double noise) {
  if (noise <= 0) return signal > 0 ? INFINITY : 0;
  return 10.0 * std::log10(signal / noise);
}
}  // namespace

void LayerQuantStats::finish(double sum_w2, double sum_err2, uint64_t storage_bytes) {
  mean_entropy_plain = mean(entropy_plain);
  mean_entropy = mean(entropy);
  mse_total = numel > 0 ? sum_err2 / static_cast<double>(numel) : 0;
  sqnr_db = sqnr(sum_w2, sum_err2);
  bits_per_weight = numel > 0 ? 8.0 * static_cast<double>(storage_bytes) / static_cast<double>(numel) : 0;
  double s = 0, s2 = 0;
  for (float o : offset) s += o, s2 += static_cast<double>(o) * o;
  const double k = static_cast<double>(offset.size());
  offset_spread = k > 1 ? std::sqrt(std::max(0.0, (s2 - s * s / k) / (k - 1))) : 0;
}

void ModelQuantStats::finish() {
  numel = 0;
  double e0 = 0, e1 = 0, err = 0, sig = 0, bits = 0;
  for (const auto& l : layers) {
    const double n = static_cast<double>(l.numel);
    numel += l.numel;
    e0 += l.mean_entropy_plain * n;
    e1 += l.mean_entropy * n;
    err += l.mse_total * n;
    bits += l.bits_per_weight * n;
    sig += std::isfinite(l.sqnr_db) ? l.mse_total * n * std::pow(10.0, l.sqnr_db / 10.0) : 0;
  }
  const double n = static_cast<double>(numel);
  if (numel == 0) return;
  mean_entropy_plain = e0 / n;
  mean_entropy = e1 / n;
  mse = err / n;
  bits_per_weight = bits / n;
  sqnr_db = sqnr(sig, err);
}

nlohmann::json to_json(const LayerQuantStats& s, bool per_block) {
  nlohmann::json j = {{"name", s.name},
                      {"shape", s.shape},
                      {"numel", s.numel},
                      {"blocks", s.blocks},
                      {"levels", s.levels},
                      {"mean_entropy_plain", s.mean_entropy_plain},
                      {"mean_entropy", s.mean_entropy},
                      {"entropy_gain", s.entropy_gain()},
                      {"mse", s.mse_total},
                      {"sqnr_db", std::isfinite(s.sqnr_db) ? nlohmann::json(s.sqnr_db) : nlohmann::json("inf")},
                      {"bits_per_weight", s.bits_per_weight}, {"offset_spread", s.offset_spread},
                      {"seconds", s.seconds},
                      {"code_histogram", s.code_histogram}};
  if (per_block) {
    j["block"] = {{"entropy_plain", s.entropy_plain}, {"entropy", s.entropy}, {"offset", s.offset},
                  {"candidate", s.candidate},         {"absmax", s.absmax},   {"mse", s.mse}};
  }
  return j;
}

nlohmann::json to_json(const ModelQuantStats& s, bool per_block) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : s.layers) layers.push_back(to_json(l, per_block));
  return {{"settings", s.settings.to_json()},
          {"label", s.settings.label()},
          {"model_dir", s.model_dir},
          {"numel", s.numel},
          {"seconds", s.seconds},
          {"mean_entropy_plain", s.mean_entropy_plain},
          {"mean_entropy", s.mean_entropy},
          {"entropy_gain", s.mean_entropy - s.mean_entropy_plain},
          {"mse", s.mse},
          {"sqnr_db", std::isfinite(s.sqnr_db) ? nlohmann::json(s.sqnr_db) : nlohmann::json("inf")},
          {"bits_per_weight", s.bits_per_weight},
          {"layers", layers}};
}

std::string ModelQuantStats::summary() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, " base: entropy %.4f -> %.4f bits, SQNR %.2f dB, %.3f bits/weight", mean_entropy_plain,
                mean_entropy, sqnr_db, bits_per_weight);
  return settings.label() + buf;
}

}  // namespace irq
