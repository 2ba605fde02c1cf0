// An MMLU evaluation, the engine's one path for it (`irqlora eval mmlu`, the
// workbench's Evaluate tab, the ablation experiment): torch-free request,
// the memory plan checked, the model loaded (quantized base and adapter
// optional), the hendrycks k-shot evaluation with progress and cancel, the
// results JSON and per-question CSV when asked, and the run recorded
// (config, per-subject scores, per-category metrics, artifacts); plain
// accuracies back.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/progress.h"
#include "jobs/eval_model_spec.h"
#include "jobs/run_events.h"
#include "runs/runs_db.h"

namespace irq {

struct EvalModel;

struct MmluRequest {
  EvalModelSpec model;
  std::filesystem::path data_dir, db_path;  // db: optional
  int shots = 5;
  std::vector<std::string> subjects;  // empty: all
  std::string split = "test";         // or "val"
  int64_t limit = 0;                  // the first N questions of each subject (lm-eval's --limit; 0: all)
  int64_t max_tokens = 2048;          // prompt token limit (shots are dropped to fit)
  int64_t batch = 0;                  // questions per forward on the shared-header path (0: 4 on CPU, 16 on CUDA)
  bool shared_header = true;          // false: every prompt in full
  std::filesystem::path results_json, answers_csv;  // optional outputs, recorded as artifacts
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
  int64_t token_limit = 0;  // the prompt limit used (max_tokens, capped by the model's context)
  int64_t run_id = -1;
};

std::vector<std::string> validate(const MmluRequest& r);

// The `irqlora eval mmlu` arguments for this request (a remote job): every
// field but db_path, and the model spec (quantization, adapter, device, dtype).
// Throws Error(kUnsupported) for a spec the CLI has no options for (a whole
// recorded setting).
std::vector<std::string> mmlu_cli_args(const MmluRequest& r);
// The outcome from per-subject scores (a remote run's "subject" events):
// categories grouped as evaluate_mmlu groups them.
MmluOutcome mmlu_outcome(const std::vector<SubjectScore>& subjects);
// preloaded: the model r.model describes, already loaded (jobs/eval_model.h), used
// as it is instead of being loaded again; null: the job loads it. events: the
// run's id, lines (memory plan, the work's size, the base), metrics, artifacts.
MmluOutcome run_mmlu(const MmluRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                     EvalModel* preloaded = nullptr, const RunEvents& events = {});

}  // namespace irq
