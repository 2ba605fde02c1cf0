// Summary figures of a recorded run (run_summary.h).
#include "runs/run_summary.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "quant/quant_settings.h"

namespace irq {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string number(double v, const char* fmt) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

const std::vector<RunColumn>& run_summary_columns() {
  static const std::vector<RunColumn> cols = {{"method", "Method"},         {"bits", "Bits"},     {"group", "Group"},
                                              {"icq", "ICQ"},               {"iec", "IEC"},       {"rank", "Rank"},
                                              {"steps", "Steps"},           {"final_loss", "Final loss"},
                                              {"best_loss", "Best loss"},   {"ppl", "Perplexity"}, {"mmlu", "MMLU %"},
                                              {"tasks", "Tasks acc %"}};
  return cols;
}

std::string summary_cell(const RunSummary& s, const std::string& key) {
  if (key == "method") return s.method;
  if (key == "bits") return s.bits > 0 ? std::to_string(s.bits) : "";
  if (key == "group") return s.group < 0 ? "" : s.group == 0 ? "channel" : std::to_string(s.group);
  if (key == "icq") return s.icq;
  if (key == "iec") return s.iec;
  if (key == "rank") return s.rank > 0 ? std::to_string(s.rank) : "";
  if (key == "steps") return s.steps > 0 ? std::to_string(s.steps) : "";
  if (key == "final_loss") return number(s.final_loss, "%.4f");
  if (key == "best_loss") return number(s.best_loss, "%.4f");
  if (key == "ppl") return number(s.perplexity, "%.3f");
  if (key == "mmlu") return number(100 * s.mmlu, "%.2f");
  if (key == "tasks") return number(100 * s.tasks, "%.2f");
  return "";
}

RunSummary summarize_run(const RunRecord& run, const std::vector<MetricPoint>& metrics) {
  RunSummary s{"", 0, -1, "", "", 0, 0, kNaN, kNaN, kNaN, kNaN, kNaN};
  const auto config = nlohmann::json::parse(run.config_json, nullptr, /*allow_exceptions=*/false);
  if (config.is_object()) {
    // The quantization: under "quant" (jobs, finetune, evaluations) or the whole config (CLI quantize).
    nlohmann::json quant = config.contains("quant") ? config["quant"] : (config.contains("method") ? config : nlohmann::json());
    if (quant.is_object() && quant.contains("method")) {
      try {
        const auto q = QuantSettings::from_json(quant, "run " + std::to_string(run.id));
        s.method = q.short_name();
        s.bits = q.bits;
        s.group = q.block_size;
        s.icq = q.icq ? "on" : "off";
      } catch (const std::exception&) {
        s.method = quant.value("method", std::string());
      }
    }
    if (config.contains("iec") && config["iec"].is_boolean()) s.iec = config["iec"].get<bool>() ? "on" : "off";
    if (config.contains("rank") && config["rank"].is_number_integer()) s.rank = config["rank"].get<int64_t>();
    if (config.contains("steps") && config["steps"].is_number_integer()) s.steps = config["steps"].get<int64_t>();
  }
  int64_t last_step = -1;
  double tasks_sum = 0;
  int tasks_n = 0;
  for (const auto& m : metrics) {
    if (m.name == "loss") {
      if (m.step >= last_step) last_step = m.step, s.final_loss = m.value;
      s.best_loss = std::isnan(s.best_loss) ? m.value : std::min(s.best_loss, m.value);
    } else if (m.name == "perplexity") {
      s.perplexity = m.value;
    } else if (m.name == "mmlu_accuracy") {
      s.mmlu = m.value;
    } else if (m.name.size() > 4 && m.name.compare(m.name.size() - 4, 4, "_acc") == 0) {
      tasks_sum += m.value;
      ++tasks_n;
    }
  }
  if (tasks_n > 0) s.tasks = tasks_sum / tasks_n;
  return s;
}

}  // namespace irq
