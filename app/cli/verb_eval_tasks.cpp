// irqlora eval tasks MODEL_DIR --data DIR [--tasks hellaswag,piqa,...]:
// zero-shot accuracy with lm-evaluation-harness's prompts and metrics
// (core/eval/task_docs.h, tasks_eval.h), through the same job the
// workbench's Evaluate tab runs (core/jobs/tasks_job.h): options -> request
// -> job -> the lm-eval table.
#include <cmath>
#include <cstdio>

#include "cli/event_stream.h"
#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "common/error.h"
#include "jobs/tasks_job.h"

namespace irq::cli {

namespace {

std::string stderr_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::isfinite(v) ? "%.4f" : "N/A", v);
  return buf;
}

int run_eval_tasks(const ParsedArgs& args) {
  TasksRequest r;
  r.model = eval_model_spec(args);
  r.data_dir = args.str("data");
  r.tasks = args.list("tasks");
  r.split = args.str("split");
  r.limit = args.integer("limit");
  r.batch = args.integer("batch");
  r.shared_prefix = !args.flag("whole");
  r.db_path = record_db_path(args);
  if (args.has("out")) r.results_json = args.str("out");
  if (args.has("examples")) r.examples_csv = args.str("examples");
  if (const auto problems = validate(r); !problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += "\n  " + p;
    throw Error(ErrorKind::kUsage, "eval tasks:" + all);
  }
  ProgressBar bar;
  const auto out = run_tasks(r, &bar);
  bar.finish();
  const auto& res = out.result;
  std::printf("zero-shot tasks (lm-eval prompts), %lld documents, %lld requests in %.1f s (%.2f documents/s, %s)\n",
              (long long)res.documents, (long long)res.requests, res.seconds, res.documents / res.seconds,
              r.shared_prefix ? "shared prefixes" : "every pair whole");
  std::printf("|%-14s|%6s|%-8s|%7s|   |%7s|\n", "Tasks", "n", "Metric", "Value", "Stderr");
  std::printf("|%-14s|%6s|%-8s|%7s|---|%7s|\n", "--------------", "-----:", "--------", "------:", "------:");
  for (const auto& task : res.order) {
    const auto& s = res.scores.at(task);
    std::printf("|%-14s|%6lld|%-8s|%7.4f|± |%7s|\n", task.c_str(), (long long)s.n, "acc", s.acc, stderr_text(s.acc_stderr).c_str());
    if (s.has_acc_norm) std::printf("|%-14s|%6s|%-8s|%7.4f|± |%7s|\n", "", "", "acc_norm", s.acc_norm, stderr_text(s.acc_norm_stderr).c_str());
  }
  if (out.run_id >= 0) std::printf("recorded as run %lld\n", (long long)out.run_id);
  for (const auto& task : res.order) {  // --progress jsonl: each task's scores, for a program that follows the CLI
    const auto& s = res.scores.at(task);
    events::emit("task", {{"run_id", out.run_id >= 0 ? nlohmann::ordered_json(out.run_id) : nlohmann::ordered_json(nullptr)},
                          {"task", task}, {"n", s.n}, {"acc", s.acc}, {"acc_stderr", s.acc_stderr},
                          {"acc_norm", s.has_acc_norm ? nlohmann::ordered_json(s.acc_norm) : nlohmann::ordered_json(nullptr)},
                          {"acc_norm_stderr", s.has_acc_norm ? nlohmann::ordered_json(s.acc_norm_stderr) : nlohmann::ordered_json(nullptr)}});
  }
  return 0;
}

}  // namespace

Verb eval_tasks_verb() {
  VerbSpec spec{"eval tasks", "MODEL_DIR",
                "zero-shot accuracy (acc, acc_norm) on HellaSwag, PIQA, WinoGrande, ARC-e/c, BoolQ, OpenBookQA as lm-eval scores them", {}, 1, 1};
  spec.options = {{"data", "DIR", "folder of <task>_<split>.jsonl files (scripts/make_task_data.py)", ""},
                  {"tasks", "LIST", "comma-separated: hellaswag,piqa,winogrande,arc_easy,arc_challenge,boolq,openbookqa (default all)", ""},
                  {"split", "NAME", "split of every task (default: lm-eval's, test where it has one)", ""},
                  {"limit", "N", "only the first N documents of each task (0: all)", "0"},
                  {"batch", "B", "requests per forward (0: 8 on CPU, 32 on CUDA)", "0"},
                  {"whole", "", "score every (context, choice) pair whole, without the shared-prefix cache", ""},
                  {"out", "FILE", "results JSON in lm-eval's layout", ""},
                  {"examples", "FILE", "per-choice CSV (log-likelihoods, predictions)", ""},
                  {"adapter", "DIR", "LoRA / IEC-LoRA adapter from irqlora finetune (its quantized base is rebuilt and checked)", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run_eval_tasks};
}

}  // namespace irq::cli
