// MMLU evaluation as hendrycks/test scores it: the k-shot prompt (shots
// dropped until it fits the token limit, 2048 or the model's context), the
// last-position logits of the tokens for "A", "B", "C", "D" (the last id of
// tokenizing each letter), argmax; the four probabilities (softmax over the
// four logits) are kept per question. Accuracy per subject, subcategory and
// category, and micro-averaged overall.
//
// Two paths give the same answers: `full` runs every prompt on its own; the
// default shares the k-shot header of a subject (its KV cache is computed
// once) and runs only the question suffixes, batched. A question whose
// tokens do not start with the header's tokens (a merge across the
// boundary, or fewer shots) falls back to the full prompt.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/progress.h"
#include "eval/mmlu_data.h"
#include "model/llama.h"
#include "text/tokenizer.h"

namespace irq {

struct MmluOptions {
  int shots = 5;
  int64_t max_tokens = 2048;  // prompt limit (also capped by the model's context)
  int64_t batch = 0;          // questions per forward on the shared path; 0: 4 on CPU, 16 on CUDA
  bool shared_header = true;  // false: every prompt in full
  ProgressSink* progress = nullptr;
  const CancelToken* cancel = nullptr;
};

struct MmluAnswer {
  std::string subject;
  int index = 0;  // row in the subject's test file
  int answer = 0, predicted = 0;
  double probs[4] = {0, 0, 0, 0};
  int shots = 0;        // shots that fit
  int64_t tokens = 0;   // prompt length
  bool shared = false;  // answered on the shared-header path
};

struct Tally {
  int64_t correct = 0, total = 0;
  double accuracy() const { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
};

// Adds a subject's tally to each of its subcategories and to each category
// that holds one of them (hendrycks' grouping; a subject outside the table
// counts in neither).
void add_to_groups(const std::string& subject, const Tally& t, const MmluCategories& categories,
                   std::map<std::string, Tally>* subcategories, std::map<std::string, Tally>* by_category);

struct MmluResult {
  std::vector<MmluAnswer> answers;
  std::map<std::string, Tally> subjects, subcategories, categories;
  Tally overall;  // micro average over questions
  double seconds = 0;
  int64_t limit = 0;
  int shots = 0;
};

MmluResult evaluate_mmlu(LlamaForCausalLM& model, const Tokenizer& tokenizer, const std::vector<MmluSubject>& subjects,
                         const MmluCategories& categories, const MmluOptions& options);

nlohmann::json to_json(const MmluResult& r);
// subject,index,answer,predicted,correct,pA,pB,pC,pD,shots,tokens
void write_answers_csv(const std::filesystem::path& path, const MmluResult& r);

}  // namespace irq
