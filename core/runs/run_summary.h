// What distinguishes runs, for the Experiments table's summary columns: the
// quantization (method, bits, group, ICQ, GPTQ), the adapter (IEC, rank,
// QA-LoRA), training steps, final and best loss, and the evaluation figures
// (perplexity, MMLU overall, mean zero-shot accuracy), read from a run's
// config JSON and its recorded metrics. Absent figures are NaN / empty.
#pragma once

#include <string>
#include <vector>

#include "runs/runs_db.h"

namespace irq {

struct RunSummary {
  std::string method;  // "ICQ-NF4", "GPTQ-ICQ-INT3"; "" for a full-precision run
  int bits = 0;
  int64_t group = -1;  // block / group size; 0 per channel; -1 unknown
  std::string icq;     // "on" / "off" / ""
  std::string iec;     // "on" / "off" / ""
  int64_t rank = 0, steps = 0;
  double final_loss, best_loss, perplexity, mmlu, tasks;  // NaN when absent
};

struct RunColumn {
  const char* key;     // stable id (QSettings)
  const char* header;  // table header
};
const std::vector<RunColumn>& run_summary_columns();
// The cell of `key` as text ("" when absent).
std::string summary_cell(const RunSummary& s, const std::string& key);

RunSummary summarize_run(const RunRecord& run, const std::vector<MetricPoint>& metrics);

}  // namespace irq
