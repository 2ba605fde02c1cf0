// The table of irqlora verbs: each verb is its option spec and a run function
// returning the process exit code. Defined one per file (verb_*.cpp).
#pragma once

#include <vector>

#include "cli/args.h"

namespace irq::cli {

struct Verb {
  VerbSpec spec;
  int (*run)(const ParsedArgs& args);
};

Verb info_verb();
Verb generate_verb();
Verb demo_verb();
Verb bench_load_verb();
Verb bench_icq_verb();
Verb quantize_verb();
Verb finetune_verb();
Verb eval_mmlu_verb();
Verb eval_ppl_verb();
Verb eval_tasks_verb();
Verb bench_tasks_verb();
Verb experiment_ablation_verb();
Verb bench_mmlu_verb();
Verb bench_train_verb();
Verb export_verb();
Verb logits_verb();
Verb tokenize_verb();
Verb plan_verb();
Verb bench_tokenize_verb();
std::vector<Verb> runs_verbs();

inline std::vector<Verb> all_verbs() {
  std::vector<Verb> v = {info_verb(),      generate_verb(),   quantize_verb(),  finetune_verb(), eval_mmlu_verb(), eval_ppl_verb(), eval_tasks_verb(),
                         export_verb(),    logits_verb(),     tokenize_verb(),     plan_verb(),     demo_verb(),      bench_load_verb(), bench_icq_verb(), bench_mmlu_verb(), bench_tasks_verb(), bench_train_verb(), experiment_ablation_verb(), bench_tokenize_verb()};
  for (auto& r : runs_verbs()) v.push_back(r);
  return v;
}

}  // namespace irq::cli
