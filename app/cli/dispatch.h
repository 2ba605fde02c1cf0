// Verb dispatch shared by the two CLI executables (the light `irqlora` front
// end and `irqlora-engine`): finding the verb the arguments name, the usage
// text, and running a verb with the one mapping of engine errors to exit
// codes (0 ok, 1 internal error, 2 usage, 3 invalid input file, 4 not found,
// 5 unsupported, 6 i/o error, 130 cancelled), --revision and MODEL_DIR
// resolution (a Hugging Face repo id from the local hub cache).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/verbs.h"

namespace irq::cli {

// The verb whose (possibly two-word) name prefixes `args`, longest first; null when none.
const Verb* find_verb(const std::vector<Verb>& verbs, const std::vector<std::string>& args, size_t* words);
void print_usage(const std::vector<Verb>& verbs);
// `before` runs inside the error handling, before parsing (the engine loads its plugins there),
// and before --help, whose text may name {quant_methods}: the registered formats' methods.
int run_verb(const Verb& verb, std::vector<std::string> rest, const std::function<void()>& before = {});

}  // namespace irq::cli
