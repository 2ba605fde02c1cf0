// Zero-shot multiple-choice evaluation with lm-evaluation-harness's metrics:
// acc = argmax of the choices' log-likelihoods is the gold one; acc_norm =
// argmax of log-likelihood / len(choice) (len in code points, as lm-eval's
// process_results takes len(str); equal to bytes for ASCII text); the
// standard errors as lm-eval's mean_stderr (sample deviation / sqrt(n)).
// The requests of a document are scored together (loglikelihood.h), sharing
// their common prefix unless `shared` is off.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/progress.h"
#include "eval/loglikelihood.h"
#include "eval/task_docs.h"
#include "eval/task_results.h"

namespace irq {

struct TasksOptions {
  ScoreOptions score;
  ProgressSink* progress = nullptr;
  const CancelToken* cancel = nullptr;
};

// docs: task name -> its documents, evaluated in `order`.
TasksResult evaluate_tasks(LlamaForCausalLM& model, const Tokenizer& tok, const std::vector<std::string>& order,
                           const std::map<std::string, std::vector<TaskDoc>>& docs, const TasksOptions& options);

}  // namespace irq
