// Perplexity runs (see perplexity_job.h).
#include "jobs/perplexity_job.h"

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "jobs/job_problems.h"
#include "eval/perplexity.h"
#include "io/text_file.h"
#include "jobs/cli_words.h"
#include "jobs/eval_model.h"
#include "runs/run_recorder.h"

namespace irq {

std::vector<std::string> validate(const PerplexityRequest& r) {
  std::vector<std::string> out;
  validate(r.model, out);
  if (r.text_file.empty()) out.push_back("text: choose a UTF-8 text file");
  if (r.window < 2) out.push_back("window: must be at least 2 tokens");
  if (r.stride < 1 || r.stride > r.window) out.push_back("stride: must be between 1 and the window");
  return out;
}

std::vector<std::string> perplexity_cli_args(const PerplexityRequest& r) {
  auto a = eval_model_cli_args(r.model, "eval ppl");
  a.insert(a.end(), {"--text", r.text_file.string(), "--window", std::to_string(r.window), "--stride", std::to_string(r.stride)});
  return a;
}

PerplexityOutcome perplexity_outcome(const std::vector<std::pair<int64_t, double>>& windows) {
  PerplexityOutcome out;
  double nll = 0;  // summed in window order, as eval/perplexity.cpp sums them
  for (const auto& [tokens, window_nll] : windows) {
    out.window_tokens.push_back(tokens);
    out.window_nll.push_back(window_nll);
    out.tokens += tokens;
    nll += window_nll;
  }
  out.windows = static_cast<int64_t>(windows.size());
  out.nll = out.tokens > 0 ? nll / static_cast<double>(out.tokens) : 0;
  out.perplexity = std::exp(out.nll);
  return out;
}

PerplexityOutcome run_perplexity(const PerplexityRequest& r, ProgressSink* progress, const CancelToken* cancel, EvalModel* preloaded) {
  throw_if_problems("eval ppl", validate(r));
  const std::string body = read_text_file(r.text_file, size_t{1} << 30, "the text");
  std::optional<EvalModel> own;
  EvalModel& m = preloaded ? *preloaded : own.emplace(load_eval_model(r.model, cancel));
  const nlohmann::json config = {{"text", r.text_file.string()}, {"window", r.window}, {"stride", r.stride},
                                 {"quant", m.quant}, {"adapter", r.model.adapter_dir.string()},
                                 {"front_end", r.front_end}};
  RunRecorder rec(r.db_path, "eval-ppl", r.model.model_dir, config, m.loaded.model->options().device().str());
  PerplexityOutcome out;
  out.run_id = rec.id();
  rec.record([&] {
    const auto p = perplexity(m.loaded.model, m.loaded.require_tokenizer(), body, r.window, r.stride, progress, cancel);
    out.perplexity = p.perplexity;
    out.nll = p.nll;
    out.tokens = p.tokens;
    out.windows = p.windows;
    out.seconds = p.seconds;
    out.window_tokens = p.window_tokens;
    out.window_nll = p.window_nll;
    rec.metrics(0, {{"perplexity", p.perplexity}, {"nll", p.nll}});
  });
  return out;
}

}  // namespace irq
