// Training recipes as presets of the finetune options: "ir-qlora", what the
// authors' scripts set (htqin/IR-QLoRA scripts/finetune.sh over irlora.py's
// defaults), and "qlora", the QLoRA baseline the paper compares with. Each
// setting names the option it fills (a finetune option name without "--";
// value "" for a flag), its value, and where the reference sets it. Options
// the user gives win over the recipe.
#pragma once

#include <string>
#include <vector>

namespace irq {

struct RecipeSetting {
  std::string option, value, reference;
  std::string conflicts;  // an option that, when given, keeps this flag off ("icq" for "no-icq")
};

struct Recipe {
  std::string name, summary;
  std::vector<RecipeSetting> settings;
  std::vector<std::string> notes;  // what the engine does the same way without an option
};

// Throws Error(kUsage) listing the known names.
const Recipe& find_recipe(const std::string& name);
std::vector<std::string> recipe_names();

}  // namespace irq
