// The outcome of a zero-shot task evaluation (eval/tasks_eval.h) and its
// files, torch-free for front ends: per-document log-likelihoods and
// predictions, per-task lm-eval metrics, the results JSON in lm-eval's
// layout and the per-choice CSV.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

struct TaskExample {
  std::string task;
  int64_t index = 0;  // record in the task file (after blank lines)
  int gold = 0, pred = 0, pred_norm = 0;
  std::vector<double> logprobs;
  std::vector<int64_t> tokens, chars;  // per choice: continuation tokens, len(choice)
};

struct TaskScore {
  int64_t n = 0;
  double acc = 0, acc_stderr = 0, acc_norm = 0, acc_norm_stderr = 0;
  bool has_acc_norm = true;
};

struct TasksResult {
  std::vector<std::string> order;  // tasks as requested
  std::map<std::string, TaskScore> scores;
  std::vector<TaskExample> examples;
  double seconds = 0;
  int64_t documents = 0, requests = 0, tokens_run = 0, prefix_tokens = 0;
};

// lm-eval's results layout: results.<task>.{"acc,none", "acc_stderr,none",
// "acc_norm,none", "acc_norm_stderr,none", alias}, versions, n-shot,
// higher_is_better, n-samples, config (what the caller passes), plus
// "irqlora" (timing and token counts).
nlohmann::json to_lm_eval_json(const TasksResult& r, const nlohmann::json& config);
// One row per choice: task,doc,choice,gold (1 on the gold choice),logprob,
// tokens,chars, and the document's predictions pred,pred_norm.
void write_task_examples_csv(const std::filesystem::path& path, const TasksResult& r);

}  // namespace irq
