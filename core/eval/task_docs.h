// The zero-shot tasks the paper reports (lm-evaluation-harness's configs):
// each record of a task's JSONL file becomes the (context, continuation)
// pairs lm-eval scores, with its gold index.
//
// Files: DIR/<task>_<split>.jsonl, one JSON object per line, with the Hugging
// Face datasets' own field names (scripts/make_task_data.py writes them):
//   hellaswag      validation  ctx_a, ctx_b (or ctx), activity_label, endings, label
//   piqa           validation  goal, sol1, sol2, label
//   winogrande     validation  sentence (one '_'), option1, option2, answer ("1"/"2")
//   arc_easy       test        question, choices {text, label}, answerKey
//   arc_challenge  test        question, choices {text, label}, answerKey
//   boolq          validation  question, passage, answer (bool) or label (0/1)
//   openbookqa     test        question_stem, choices {text, label}, answerKey
// The split is lm-eval's (its test split where the config has one).
//
// Prompts, as lm-eval's task configs build them (target delimiter " "):
//   hellaswag   query = preprocess(activity_label + ": " + ctx_a + " " +
//               capitalize(ctx_b)); choices preprocess(ending) (task_text.h).
//               HellaSwag's `ctx` is ctx_a + " " + ctx_b without the
//               capitalisation: a record with ctx only is read as it stands
//   piqa        "Question: {goal}\nAnswer:" -> " {sol1}" | " {sol2}"
//   winogrande  partial scoring: contexts sentence[:blank] + option, one
//               continuation " " + strip(sentence[blank+1:]); acc only
//   arc_*       "Question: {question}\nAnswer:" -> " {choices.text[i]}"
//   boolq       "{passage}\nQuestion: {question}?\nAnswer:" -> " no" | " yes"; acc only
//   openbookqa  "{question_stem}" -> " {choices.text[i]}"; gold
//               choices.label.index(answerKey.lstrip())
// Bad records are Error(kInvalidInput) naming the file, the line and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

struct TaskSpec {
  std::string name, split;
  bool acc_norm = true;  // lm-eval's metric list has acc_norm
};

const std::vector<TaskSpec>& task_specs();        // the seven, in the paper's order
const TaskSpec& task_spec(const std::string& name);  // Error(kUsage) listing the known ones

// One document as lm-eval scores it: request i is (contexts[i or 0],
// continuations[i or 0]); `choices` are what acc_norm measures (len in
// code points); winogrande has one context per choice and one continuation.
struct TaskDoc {
  std::vector<std::string> contexts, continuations, choices;
  int gold = 0;
  size_t requests() const { return choices.size(); }
  const std::string& context(size_t i) const { return contexts.size() == 1 ? contexts[0] : contexts[i]; }
  const std::string& continuation(size_t i) const { return continuations.size() == 1 ? continuations[0] : continuations[i]; }
};

// One record (a parsed JSON line) of `task`; `where` ("file: line N") names
// it in errors.
TaskDoc make_task_doc(const std::string& task, const nlohmann::json& record, const std::string& where);

std::filesystem::path task_file(const std::filesystem::path& dir, const std::string& task, const std::string& split);
// The first `limit` records (0: all). Error(kNotFound) when the file is
// missing; lines are bounded (1 MiB each, 16 levels of nesting, 2 GiB file).
std::vector<TaskDoc> load_task_docs(const std::filesystem::path& dir, const std::string& task, const std::string& split = "",
                                    int64_t limit = 0);

}  // namespace irq
