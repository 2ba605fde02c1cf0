// `irqlora experiment ablation`: the paper's ablation grid
// (experiments/ablation_grid.h) run for real. Each cell finetunes LoRA or
// IEC-LoRA on its quantized base (jobs/finetune_job.h, same seed, data and
// schedule for every cell) and evaluates the adapter (perplexity of a
// held-out text, MMLU and/or the zero-shot tasks, as requested; the adapter's
// model loaded once for all of them). Every run is
// recorded and tagged "experiment:<id>" and "cell:<key>". Resumable: a cell
// is finished when OUT/<key>/cell.json exists (written last, atomically);
// a killed grid continues with the cells that have none. The report
// (report.md, report.csv, report.tex) is rewritten after every cell.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "experiments/ablation_grid.h"

namespace irq {

struct AblationRequest {
  std::filesystem::path model_dir, data_file, out_dir, db_path;  // db: "" not recorded
  std::string id;  // experiment id; "": the out folder's name
  std::vector<int> bits = {4, 3, 2};
  std::vector<std::string> methods = {"nf4", "int"};
  int64_t steps = 100, batch = 4, accum = 1, rank = 64;
  double alpha = 16, lr = 2e-4;
  uint64_t seed = 42;
  std::string device = "auto";
  // Evaluations of each adapter; at least one.
  std::filesystem::path ppl_text;  // perplexity of this text
  int64_t ppl_window = 512, ppl_stride = 256;
  std::filesystem::path mmlu_dir;   // MMLU accuracy (5-shot)
  std::filesystem::path tasks_dir;  // mean zero-shot accuracy of the seven tasks
  int64_t tasks_limit = 0;
};

struct AblationCellEvent {
  AblationCell cell;
  size_t index = 0, total = 0;
  bool resumed = false;  // finished before this run: not rerun
  std::map<std::string, double> metrics;
};

struct AblationOutcome {
  AblationGrid grid;
  AblationResults results;
  std::string id;
  size_t ran = 0, resumed = 0;
  std::filesystem::path report_md;
  AblationReport report;
};

std::vector<std::string> validate(const AblationRequest& r);
AblationOutcome run_ablation(const AblationRequest& r, const std::function<void(const AblationCellEvent&)>& on_cell = {},
                             const CancelToken* cancel = nullptr);

}  // namespace irq
