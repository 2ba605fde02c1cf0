// lm-eval's results layout and the per-choice CSV (see task_results.h).
#include "eval/task_results.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"

namespace irq {

nlohmann::json to_lm_eval_json(const TasksResult& r, const nlohmann::json& config) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json("N/A"); };
  nlohmann::json results = nlohmann::json::object(), versions = nlohmann::json::object(), nshot = nlohmann::json::object(),
                 better = nlohmann::json::object(), samples = nlohmann::json::object();
  for (const auto& task : r.order) {
    const auto& s = r.scores.at(task);
    auto& t = results[task];
    t["alias"] = task;
    t["acc,none"] = s.acc;
    t["acc_stderr,none"] = num(s.acc_stderr);
    better[task]["acc"] = true;
    if (s.has_acc_norm) {
      t["acc_norm,none"] = s.acc_norm;
      t["acc_norm_stderr,none"] = num(s.acc_norm_stderr);
      better[task]["acc_norm"] = true;
    }
    versions[task] = task == "boolq" ? 2.0 : 1.0;
    nshot[task] = 0;
    samples[task] = {{"original", s.n}, {"effective", s.n}};
  }
  return {{"results", results},
          {"versions", versions},
          {"n-shot", nshot},
          {"higher_is_better", better},
          {"n-samples", samples},
          {"config", config},
          {"irqlora",
           {{"seconds", r.seconds},
            {"documents", r.documents},
            {"requests", r.requests},
            {"documents_per_second", r.seconds > 0 ? static_cast<double>(r.documents) / r.seconds : 0.0},
            {"tokens_run", r.tokens_run},
            {"prefix_tokens_shared", r.prefix_tokens}}}};
}

void write_task_examples_csv(const std::filesystem::path& path, const TasksResult& r) {
  std::ostringstream s;
  s << "task,doc,choice,gold,logprob,tokens,chars,pred,pred_norm\n";
  char buf[160];
  for (const auto& e : r.examples)
    for (size_t i = 0; i < e.logprobs.size(); ++i) {
      std::snprintf(buf, sizeof buf, ",%lld,%zu,%d,%.9g,%lld,%lld,%d,%d\n", static_cast<long long>(e.index), i, e.gold == static_cast<int>(i),
                    e.logprobs[i], static_cast<long long>(e.tokens[i]), static_cast<long long>(e.chars[i]), e.pred, e.pred_norm);
      s << e.task << buf;
    }
  write_text_atomic(path, s.str());
}

}  // namespace irq
