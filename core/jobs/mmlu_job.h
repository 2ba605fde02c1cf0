// An MMLU evaluation for front ends that must not include LibTorch: load the
// model on the chosen device (quantized base and adapter optional), run the
// hendrycks 5-shot evaluation with progress and cancel, record the run
// (per-subject scores, per-category metrics) like `irqlora eval mmlu`, and
// return plain accuracies.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/progress.h"
#include "jobs/eval_model_spec.h"
#include "runs/runs_db.h"

namespace irq {

struct EvalModel;

struct MmluRequest {
  EvalModelSpec model;
  std::filesystem::path data_dir, db_path;  // db: optional
  int shots = 5;
  std::vector<std::string> subjects;  // empty: all
  std::string front_end = "workbench";  // recorded in the run's config
};

struct MmluAccuracy {
  int64_t correct = 0, total = 0;
  double accuracy() const { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
};

struct MmluOutcome {
  std::map<std::string, MmluAccuracy> categories, subjects;
  MmluAccuracy overall;
  double seconds = 0;
  int64_t run_id = -1;
};

std::vector<std::string> validate(const MmluRequest& r);

// The `irqlora eval mmlu` arguments for this request (a remote job): data,
// shots, subjects and the model spec (quantization, adapter, device, dtype).
// Throws Error(kUnsupported) for a spec the CLI has no options for (a whole
// recorded setting).
std::vector<std::string> mmlu_cli_args(const MmluRequest& r);
// The outcome from per-subject scores (a remote run's "subject" events):
// categories grouped as evaluate_mmlu groups them.
MmluOutcome mmlu_outcome(const std::vector<SubjectScore>& subjects);
// preloaded: the model r.model describes, already loaded (jobs/eval_model.h), used
// as it is instead of being loaded again; null: the job loads it.
MmluOutcome run_mmlu(const MmluRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                     EvalModel* preloaded = nullptr);

}  // namespace irq
