// Ablation experiments from the runs database (see ablation_runs.h).
#include "experiments/ablation_runs.h"

#include <algorithm>
#include <set>

namespace irq {

namespace {

const std::string kExperiment = "experiment:", kCell = "cell:";

std::string tag_value(const RunRecord& r, const std::string& prefix) {
  for (const auto& t : r.tags)
    if (t.rfind(prefix, 0) == 0) return t.substr(prefix.size());
  return "";
}

// "int3-icq-iec" -> the cell, or false for a key this build does not write.
bool parse_key(const std::string& key, AblationCell& c) {
  const size_t a = key.find('-'), b = key.rfind('-');
  if (a == std::string::npos || a == b) return false;
  c.quant = key.substr(0, a);
  const std::string q = key.substr(a + 1, b - a - 1), l = key.substr(b + 1);
  if ((q != "icq" && q != "plain") || (l != "iec" && l != "lora")) return false;
  c.icq = q == "icq";
  c.iec = l == "iec";
  c.variant = ablation_variants()[(c.icq ? 1 : 0) + (c.iec ? 2 : 0)];
  return true;
}

// The latest value of each metric of a run (step order).
std::map<std::string, double> last_metrics(const RunsDb& db, int64_t run) {
  std::map<std::string, double> out;
  for (const auto& p : db.metrics(run)) out[p.name] = p.value;
  return out;
}

}  // namespace

std::vector<std::string> experiment_ids(const RunsDb& db) {
  std::set<std::string> ids;
  for (const auto& r : db.list()) {
    const auto id = tag_value(r, kExperiment);
    if (!id.empty()) ids.insert(id);
  }
  return {ids.begin(), ids.end()};
}

AblationFromRuns ablation_from_runs(const RunsDb& db, const std::string& id) {
  AblationFromRuns out;
  std::map<std::string, AblationCell> cells;
  bool ppl = false, mmlu = false, tasks = false;
  auto runs = db.list();
  std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) { return a.id < b.id; });
  for (const auto& r : runs) {
    if (tag_value(r, kExperiment) != id || r.status != "finished") continue;
    const std::string key = tag_value(r, kCell);
    AblationCell c;
    if (!parse_key(key, c)) continue;
    cells[key] = c;
    if (r.kind == "finetune") {  // its per-step metrics are the loss curve, read by whoever draws it
      out.finetune_run[key] = r.id;
      continue;
    }
    const auto m = last_metrics(db, r.id);
    if (r.kind == "eval-ppl" && m.count("perplexity")) {
      out.results[key]["ppl"] = m.at("perplexity");
      ppl = true;
    } else if (r.kind == "eval-mmlu" && m.count("mmlu_accuracy")) {
      out.results[key]["mmlu"] = m.at("mmlu_accuracy");
      mmlu = true;
    } else if (r.kind == "eval-tasks") {
      double sum = 0;
      int n = 0;
      for (const auto& [name, v] : m)
        if (name.size() > 4 && name.compare(name.size() - 4, 4, "_acc") == 0) sum += v, ++n;
      if (n > 0) {
        out.results[key]["tasks"] = sum / n;
        tasks = true;
      }
    }
  }
  // The paper's order: quantizations as first seen in run order, variants in row order.
  std::vector<std::string> quants;
  for (const auto& r : runs) {
    AblationCell c;
    if (tag_value(r, kExperiment) == id && parse_key(tag_value(r, kCell), c) &&
        std::find(quants.begin(), quants.end(), c.quant) == quants.end())
      quants.push_back(c.quant);
  }
  for (const auto& q : quants)
    for (const auto& v : ablation_variants())
      for (const auto& [key, c] : cells)
        if (c.quant == q && c.variant == v) out.grid.cells.push_back(c);
  if (ppl) out.metrics.push_back({"ppl", true});
  if (mmlu) out.metrics.push_back({"mmlu", false});
  if (tasks) out.metrics.push_back({"tasks", false});
  return out;
}

}  // namespace irq
