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

inline std::vector<Verb> all_verbs() { return {info_verb(), generate_verb(), quantize_verb(), demo_verb(), bench_load_verb(), bench_icq_verb()}; }

}  // namespace irq::cli
