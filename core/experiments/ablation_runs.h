// An ablation experiment read back from the runs database: its runs are
// tagged "experiment:<id>" and "cell:<key>" (jobs/ablation_job.h); the cells
// come from the keys, the metrics from the evaluation runs (eval-ppl:
// perplexity, eval-mmlu: mmlu_accuracy, eval-tasks: the mean of its
// <task>_acc), and the loss curves from the finetune runs. What the
// workbench's Experiments tab shows; no tensors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "experiments/ablation_grid.h"
#include "runs/runs_db.h"

namespace irq {

struct AblationFromRuns {
  AblationGrid grid;  // the cells that have runs, in the paper's order
  std::vector<AblationMetric> metrics;
  AblationResults results;
  std::map<std::string, int64_t> finetune_run;  // cell key -> its finetune run (the latest)
};

std::vector<std::string> experiment_ids(const RunsDb& db);  // from the tags, sorted
AblationFromRuns ablation_from_runs(const RunsDb& db, const std::string& id);

}  // namespace irq
