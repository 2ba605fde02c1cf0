// irqlora bench tasks MODEL_DIR --data DIR: documents/s of the two task
// scoring paths on the same documents in the same run, each (context,
// choice) pair whole (the reference) and the shared-prefix cache with the
// choices batched; prints their agreement (max |log-likelihood diff|, equal
// predictions) and exits 1 when a prediction differs.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "eval/tasks_eval.h"
#include "runtime/runtime.h"

namespace irq::cli {

namespace {

int run_bench_tasks(const ParsedArgs& args) {
  if (!args.has("data")) throw Error(ErrorKind::kUsage, "--data DIR is required");
  std::vector<std::string> order = args.list("tasks");
  if (order.empty())
    for (const auto& s : task_specs()) order.push_back(s.name);
  std::map<std::string, std::vector<TaskDoc>> docs;
  for (const auto& t : order) docs[t] = load_task_docs(args.str("data"), t, "", args.integer("limit"));
  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  TasksOptions o;
  o.score.batch = args.integer("batch");
  o.score.shared = false;
  const auto whole = evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, o);
  o.score.shared = true;
  const auto shared = evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, o);
  double max_diff = 0;
  int64_t same = 0;
  for (size_t i = 0; i < whole.examples.size(); ++i) {
    const auto& a = whole.examples[i];
    const auto& b = shared.examples[i];
    same += a.pred == b.pred && a.pred_norm == b.pred_norm;
    for (size_t k = 0; k < a.logprobs.size(); ++k) max_diff = std::max(max_diff, std::fabs(a.logprobs[k] - b.logprobs[k]));
  }
  const double n = static_cast<double>(whole.documents);
  std::printf("bench tasks  %s, %lld documents (%lld requests) of %zu tasks, %s on %s\n", loaded.dir.c_str(), (long long)whole.documents,
              (long long)whole.requests, order.size(), dtype_display_name(loaded.model->options().dtype().toScalarType()).c_str(),
              loaded.model->options().device().str().c_str());
  std::printf("  every pair whole (reference)  %8.2f documents/s  (%.2f s, %lld positions run)\n", n / whole.seconds, whole.seconds,
              (long long)whole.tokens_run);
  std::printf("  shared prefix, choices batched %7.2f documents/s  (%.2f s, %lld positions run, %lld of them prefixes run once)\n",
              n / shared.seconds, shared.seconds, (long long)shared.tokens_run, (long long)shared.prefix_tokens);
  std::printf("  ratio shared / whole          %8.2fx\n", whole.seconds / shared.seconds);
  std::printf("  same predictions (acc and acc_norm) %lld/%lld, max |log-likelihood diff| %.3g\n", (long long)same, (long long)whole.documents,
              max_diff);
  return same == whole.documents ? 0 : 1;
}

}  // namespace

Verb bench_tasks_verb() {
  VerbSpec spec{"bench tasks", "MODEL_DIR", "benchmark: zero-shot task documents/s, shared prefix vs every pair whole", {}, 1, 1};
  spec.options = {{"data", "DIR", "folder of <task>_<split>.jsonl files", ""},
                  {"tasks", "LIST", "comma-separated tasks (default all seven)", ""},
                  {"limit", "N", "documents per task (0 = all)", "50"},
                  {"batch", "B", "requests per forward (0: 8 on CPU, 32 on CUDA)", "0"}};
  for (auto& o : model_options()) spec.options.push_back(o);
  return {spec, &run_bench_tasks};
}

}  // namespace irq::cli
