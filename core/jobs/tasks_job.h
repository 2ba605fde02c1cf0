// A zero-shot task evaluation (lm-eval semantics, eval/tasks_eval.h) as one
// job for the CLI (`irqlora eval tasks`) and the workbench's Evaluate tab:
// the request with its defaults, validation naming each field, the task
// files read and checked before the model loads (quantized base and adapter
// optional, jobs/eval_model.h), scoring with progress and cancel,
// the results JSON and per-example CSV written, and the run recorded with
// <task>_acc / <task>_acc_norm metrics.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/progress.h"
#include "eval/task_results.h"
#include "jobs/eval_model_spec.h"

namespace irq {

struct EvalModel;

struct TasksRequest {
  EvalModelSpec model;
  std::filesystem::path data_dir;
  std::vector<std::string> tasks;  // empty: all seven
  std::string split;               // "": each task's lm-eval split
  int64_t limit = 0;               // documents per task, 0: all
  std::filesystem::path db_path;  // "": not recorded
  bool shared_prefix = true;  // false: every (context, choice) pair whole
  int64_t batch = 0;          // 0: 8 on CPU, 32 on CUDA
  std::filesystem::path results_json, examples_csv;  // written when set
  std::string front_end = "cli";
};

struct TasksOutcome {
  TasksResult result;
  int64_t run_id = -1;
};

std::vector<std::string> validate(const TasksRequest& r);
std::vector<std::string> requested_tasks(const TasksRequest& r);  // r.tasks or all seven

// The `irqlora eval tasks` arguments for this request (a remote job);
// throws Error(kUnsupported) for a spec the CLI has no options for.
std::vector<std::string> tasks_cli_args(const TasksRequest& r);
// The outcome from the tasks' scores in order (a remote run's "task" events).
TasksOutcome tasks_outcome(const std::vector<std::pair<std::string, TaskScore>>& tasks);
// preloaded: the model r.model describes, already loaded (jobs/eval_model.h), used
// as it is instead of being loaded again; null: the job loads it.
TasksOutcome run_tasks(const TasksRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                       EvalModel* preloaded = nullptr);

}  // namespace irq
