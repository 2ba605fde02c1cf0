// Command-line parsing for the irqlora verbs: each verb declares its options
// (name, value or flag, help, default) and positional arguments; parse()
// rejects unknown options and missing values with a usage error, and help()
// prints the verb's usage from the same table.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace irq::cli {

struct OptionSpec {
  std::string name;  // without "--"
  std::string value_name;  // "" for a flag
  std::string help;
  std::string default_value;
};

struct VerbSpec {
  std::string name;     // "generate", "bench load"
  std::string positionals;  // "MODEL_DIR"
  std::string summary;
  std::vector<OptionSpec> options;
  size_t min_positional = 0;
  size_t max_positional = 0;
};

class ParsedArgs {
 public:
  std::vector<std::string> positional;
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name) const;
  int64_t integer(const std::string& name) const;   // throws a usage Error when not an integer
  double number(const std::string& name) const;
  std::vector<std::string> list(const std::string& name) const;  // comma-separated, empty items dropped
  bool flag(const std::string& name) const { return has(name); }
  bool given(const std::string& name) const { return given_.count(name) > 0; }  // on the command line
  std::map<std::string, std::string> values_;  // explicit + defaults
  std::set<std::string> given_;                // the options the command line named
};

// Throws irq::Error(kUsage) with a message naming the option.
ParsedArgs parse(const VerbSpec& spec, const std::vector<std::string>& args);
std::string help(const VerbSpec& spec);
bool wants_help(const std::vector<std::string>& args);

}  // namespace irq::cli
