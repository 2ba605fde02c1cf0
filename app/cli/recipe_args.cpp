// Recipe presets over parsed options.
#include "cli/recipe_args.h"

#include <cstdio>

#include "train/recipe.h"

namespace irq::cli {

ParsedArgs apply_recipe(const ParsedArgs& args) {
  if (!args.has("recipe")) return args;
  const Recipe& recipe = find_recipe(args.str("recipe"));
  ParsedArgs out = args;
  std::fprintf(stderr, "recipe %s: %s\n", recipe.name.c_str(), recipe.summary.c_str());
  for (const auto& s : recipe.settings) {
    const std::string shown = "--" + s.option + (s.value.empty() ? "" : " " + s.value);
    if (args.given(s.option) || (!s.conflicts.empty() && args.given(s.conflicts))) {
      const std::string& kept = args.given(s.option) ? s.option : s.conflicts;
      std::fprintf(stderr, "  %-24s kept --%s %s (given)\n", shown.c_str(), kept.c_str(),
                   args.given(s.option) && !s.value.empty() ? args.str(s.option).c_str() : "");
      continue;
    }
    out.values_[s.option] = s.value.empty() ? "1" : s.value;
    std::fprintf(stderr, "  %-24s %s\n", shown.c_str(), s.reference.c_str());
  }
  for (const auto& n : recipe.notes) std::fprintf(stderr, "  %s\n", n.c_str());
  return out;
}

}  // namespace irq::cli
