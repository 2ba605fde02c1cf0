// irqlora bench mmlu MODEL_DIR --data DIR: questions/s of the two MMLU paths
// on the same questions in the same run: every prompt in full (the
// reference) and the shared k-shot header with batched suffixes; checks
// that they give the same answers and probabilities.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "eval/mmlu_eval.h"
#include "runtime/runtime.h"

namespace irq::cli {

namespace {

int run_bench_mmlu(const ParsedArgs& args) {
  if (!args.has("data")) throw Error(ErrorKind::kUsage, "--data DIR is required");
  auto subjects = load_mmlu(args.str("data"), "test", args.list("subjects"));
  const int64_t per_subject = args.integer("questions");
  for (auto& s : subjects)
    if (per_subject > 0 && static_cast<int64_t>(s.test.size()) > per_subject) s.test.resize(static_cast<size_t>(per_subject));
  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  const auto categories = MmluCategories::builtin();
  MmluOptions o;
  o.shots = static_cast<int>(args.integer("shots"));
  o.batch = args.integer("batch");
  o.shared_header = false;
  const auto full = evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, categories, o);
  o.shared_header = true;
  const auto fast = evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, categories, o);
  double max_diff = 0;
  int64_t same = 0, shared = 0;
  for (size_t i = 0; i < full.answers.size(); ++i) {
    same += full.answers[i].predicted == fast.answers[i].predicted;
    shared += fast.answers[i].shared;
    for (int k = 0; k < 4; ++k) max_diff = std::max(max_diff, std::fabs(full.answers[i].probs[k] - fast.answers[i].probs[k]));
  }
  const double n = static_cast<double>(full.overall.total);
  std::printf("bench mmlu  %s, %lld questions, %d-shot, %s on %s\n", loaded.dir.c_str(), (long long)full.overall.total, o.shots,
              dtype_display_name(loaded.model->options().dtype().toScalarType()).c_str(), loaded.model->options().device().str().c_str());
  std::printf("  full prompts (reference)      %8.2f questions/s  (%.2f s)\n", n / full.seconds, full.seconds);
  std::printf("  shared header, batch %-3s     %8.2f questions/s  (%.2f s; %lld of %lld on the shared path)\n", o.batch > 0 ? std::to_string(o.batch).c_str() : "auto",
              n / fast.seconds, fast.seconds, (long long)shared, (long long)full.overall.total);
  std::printf("  ratio shared / full           %8.2fx\n", full.seconds / fast.seconds);
  std::printf("  same answers %lld/%lld, max |p diff| %.3g, accuracy %.4f vs %.4f\n", (long long)same, (long long)full.overall.total,
              max_diff, full.overall.accuracy(), fast.overall.accuracy());
  return same == full.overall.total ? 0 : 1;
}

}  // namespace

Verb bench_mmlu_verb() {
  VerbSpec spec{"bench mmlu", "MODEL_DIR", "benchmark: MMLU questions/s, shared k-shot cache vs full prompts", {}, 1, 1};
  spec.options = {{"data", "DIR", "MMLU folder", ""},
                  {"subjects", "LIST", "comma-separated subjects (default all)", ""},
                  {"questions", "N", "questions per subject (0 = all)", "20"},
                  {"shots", "K", "few-shot examples", "5"},
                  {"batch", "B", "questions per forward on the shared path (0: 4 on CPU, 16 on CUDA)", "0"}};
  for (auto& o : model_options()) spec.options.push_back(o);
  return {spec, &run_bench_mmlu};
}

}  // namespace irq::cli
