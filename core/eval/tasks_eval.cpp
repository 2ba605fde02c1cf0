// Zero-shot task scoring and lm-eval's metrics (see tasks_eval.h).
#include "eval/tasks_eval.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "eval/task_text.h"

namespace irq {

namespace {

// np.argmax: the first maximum.
int argmax(const std::vector<double>& v) {
  int best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int>(i);
  return best;
}

// lm-eval's mean and mean_stderr (sample standard deviation / sqrt(n)).
void mean_and_stderr(const std::vector<double>& x, double& mean, double& stderr_) {
  const double n = static_cast<double>(x.size());
  double s = 0;
  for (double v : x) s += v;
  mean = n > 0 ? s / n : 0;
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  stderr_ = n > 1 ? std::sqrt(ss / (n - 1)) / std::sqrt(n) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

TasksResult evaluate_tasks(LlamaForCausalLM& model, const Tokenizer& tok, const std::vector<std::string>& order,
                           const std::map<std::string, std::vector<TaskDoc>>& docs, const TasksOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  TasksResult r;
  r.order = order;
  int64_t total = 0, done = 0;
  for (const auto& t : order) total += static_cast<int64_t>(docs.at(t).size());
  for (const auto& task : order) {
    const auto& spec = task_spec(task);
    std::vector<double> acc, acc_norm;
    const auto& list = docs.at(task);
    for (size_t d = 0; d < list.size(); ++d) {
      const auto& doc = list[d];
      std::vector<std::pair<std::string, std::string>> pairs;
      for (size_t i = 0; i < doc.requests(); ++i) pairs.emplace_back(doc.context(i), doc.continuation(i));
      const auto reqs = encode_pairs(tok, pairs);
      GroupStats stats;
      const auto lls = score_group(model, reqs, options.score, &stats);
      TaskExample e;
      e.task = task;
      e.index = static_cast<int64_t>(d);
      e.gold = doc.gold;
      std::vector<double> normed;
      for (size_t i = 0; i < lls.size(); ++i) {
        e.logprobs.push_back(lls[i].logprob);
        e.tokens.push_back(lls[i].tokens);
        e.chars.push_back(static_cast<int64_t>(py_char_count(doc.choices[i])));
        // numpy: ll / 0 is -inf for a negative ll
        normed.push_back(e.chars.back() > 0 ? lls[i].logprob / static_cast<double>(e.chars.back())
                                            : -std::numeric_limits<double>::infinity());
      }
      e.pred = argmax(e.logprobs);
      e.pred_norm = argmax(normed);
      acc.push_back(e.pred == e.gold ? 1.0 : 0.0);
      acc_norm.push_back(e.pred_norm == e.gold ? 1.0 : 0.0);
      r.examples.push_back(std::move(e));
      r.requests += static_cast<int64_t>(reqs.size());
      r.tokens_run += stats.tokens_run;
      r.prefix_tokens += stats.prefix_tokens;
      ++r.documents;
      if (options.progress) options.progress->progress(task, ++done, total);
      if (options.cancel) options.cancel->throw_if_cancelled("task evaluation");
    }
    TaskScore s;
    s.n = static_cast<int64_t>(list.size());
    s.has_acc_norm = spec.acc_norm;
    mean_and_stderr(acc, s.acc, s.acc_stderr);
    mean_and_stderr(acc_norm, s.acc_norm, s.acc_norm_stderr);
    r.scores[task] = s;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace irq
