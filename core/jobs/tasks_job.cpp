// Zero-shot task evaluation runs (see tasks_job.h).
#include "jobs/tasks_job.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "jobs/job_problems.h"
#include "eval/tasks_eval.h"
#include "jobs/cli_words.h"
#include "jobs/eval_model.h"
#include "runs/run_recorder.h"


namespace irq {

std::vector<std::string> requested_tasks(const TasksRequest& r) {
  if (!r.tasks.empty()) return r.tasks;
  std::vector<std::string> all;
  for (const auto& s : task_specs()) all.push_back(s.name);
  return all;
}

std::vector<std::string> validate(const TasksRequest& r) {
  std::vector<std::string> out;
  validate(r.model, out);
  if (r.data_dir.empty()) out.push_back("data: choose the folder of task files (<task>_<split>.jsonl)");
  for (const auto& t : requested_tasks(r)) {
    try {
      task_spec(t);
    } catch (const Error& e) {
      out.push_back(std::string("tasks: ") + e.what());
    }
  }
  if (r.limit < 0) out.push_back("limit: must be 0 (all) or a positive number of documents");
  if (r.batch < 0) out.push_back("batch: must be 0 (automatic) or positive");
  return out;
}

std::vector<std::string> tasks_cli_args(const TasksRequest& r) {
  auto a = eval_model_cli_args(r.model, "eval tasks");
  a.insert(a.end(), {"--data", r.data_dir.string(), "--limit", std::to_string(r.limit), "--batch", std::to_string(r.batch)});
  const auto tasks = cli_list_args("--tasks", r.tasks);
  a.insert(a.end(), tasks.begin(), tasks.end());
  if (!r.split.empty()) a.insert(a.end(), {"--split", r.split});
  if (!r.shared_prefix) a.emplace_back("--whole");
  return a;
}

TasksOutcome tasks_outcome(const std::vector<std::pair<std::string, TaskScore>>& tasks) {
  TasksOutcome out;
  for (const auto& [task, score] : tasks) {
    out.result.order.push_back(task);
    out.result.scores[task] = score;
    out.result.documents += score.n;
  }
  return out;
}

TasksOutcome run_tasks(const TasksRequest& r, ProgressSink* progress, const CancelToken* cancel, EvalModel* preloaded) {
  throw_if_problems("eval tasks", validate(r));
  const auto order = requested_tasks(r);
  std::map<std::string, std::vector<TaskDoc>> docs;  // read (and checked) before the model loads
  int64_t documents = 0, requests = 0;
  for (const auto& t : order) {
    docs[t] = load_task_docs(r.data_dir, t, r.split, r.limit);
    documents += static_cast<int64_t>(docs[t].size());
    for (const auto& d : docs[t]) requests += static_cast<int64_t>(d.requests());
  }
  if (progress) progress->message("tasks: " + std::to_string(documents) + " documents, " + std::to_string(requests) + " requests");
  std::optional<EvalModel> own;
  EvalModel& m = preloaded ? *preloaded : own.emplace(load_eval_model(r.model, cancel));
  std::string tasks_list;
  for (const auto& t : order) tasks_list += (tasks_list.empty() ? "" : ",") + t;
  const nlohmann::json config = {{"data", r.data_dir.string()}, {"tasks", tasks_list}, {"split", r.split}, {"limit", r.limit},
                                 {"quant", m.quant}, {"adapter", r.model.adapter_dir.string()}, {"shared_prefix", r.shared_prefix},
                                 {"front_end", r.front_end}, {"num_fewshot", 0}};
  RunRecorder rec(r.db_path, "eval-tasks", r.model.model_dir, config, m.loaded.model->options().device().str());
  TasksOutcome out;
  out.run_id = rec.id();
  rec.record([&] {
    TasksOptions o;
    o.score.shared = r.shared_prefix;
    o.score.batch = r.batch;
    o.progress = progress;
    o.cancel = cancel;
    out.result = evaluate_tasks(m.loaded.model, m.loaded.require_tokenizer(), order, docs, o);
    nlohmann::json lm_config = config;
    lm_config["model"] = r.model.model_dir.string();
    lm_config["device"] = m.loaded.model->options().device().str();
    if (!r.results_json.empty()) {
      write_text_atomic(r.results_json, to_lm_eval_json(out.result, lm_config).dump(2) + "\n");
      rec.artifact("results", r.results_json);
    }
    if (!r.examples_csv.empty()) {
      write_task_examples_csv(r.examples_csv, out.result);
      rec.artifact("examples", r.examples_csv);
    }
    std::map<std::string, double> metrics;
    for (const auto& [task, s] : out.result.scores) {
      metrics[task + "_acc"] = s.acc;
      if (s.has_acc_norm) metrics[task + "_acc_norm"] = s.acc_norm;
    }
    rec.metrics(0, metrics);
  });
  return out;
}

}  // namespace irq
