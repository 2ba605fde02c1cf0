// Perplexity of a text file (eval/perplexity.h, sliding window) as one job
// for the CLI, the workbench and experiments: the model as EvalModelSpec
// describes it (quantized base and adapter optional), progress and cancel,
// the run recorded as eval-ppl with perplexity and nll.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/progress.h"
#include "jobs/eval_model_spec.h"

namespace irq {

struct EvalModel;

struct PerplexityRequest {
  EvalModelSpec model;
  std::filesystem::path text_file;  // UTF-8 text
  int64_t window = 512, stride = 256;
  std::filesystem::path db_path;  // "": not recorded
  std::string front_end = "cli";
};

struct PerplexityOutcome {
  double perplexity = 0, nll = 0, seconds = 0;
  int64_t tokens = 0, windows = 0;
  std::vector<int64_t> window_tokens;  // per window (eval/perplexity.h)
  std::vector<double> window_nll;
  int64_t run_id = -1;
};

std::vector<std::string> validate(const PerplexityRequest& r);

// The `irqlora eval ppl` arguments for this request (a remote job); throws
// Error(kUnsupported) for a spec the CLI has no options for.
std::vector<std::string> perplexity_cli_args(const PerplexityRequest& r);
// The outcome from each window's (tokens, summed nll), as a remote run
// streams them: nll per token and perplexity as run_perplexity computes them.
PerplexityOutcome perplexity_outcome(const std::vector<std::pair<int64_t, double>>& windows);
// preloaded: the model r.model describes, already loaded (jobs/eval_model.h), used
// as it is instead of being loaded again; null: the job loads it.
PerplexityOutcome run_perplexity(const PerplexityRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                                 EvalModel* preloaded = nullptr);

}  // namespace irq
