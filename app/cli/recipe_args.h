// --recipe NAME on the command line: fills every option the recipe sets and
// the user did not give (core/train/recipe.h), and prints what it set, with
// the reference it follows, and what the user's own options kept.
#pragma once

#include "cli/args.h"

namespace irq::cli {

ParsedArgs apply_recipe(const ParsedArgs& args);

}  // namespace irq::cli
