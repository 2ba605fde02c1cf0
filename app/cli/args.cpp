// Option table parsing and help text for irqlora verbs.
#include "cli/args.h"

#include <cstdlib>
#include <sstream>

#include "common/error.h"

namespace irq::cli {

namespace {
Error usage(const std::string& what) { return Error(ErrorKind::kUsage, what); }
}  // namespace

std::string ParsedArgs::str(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second;
}

std::vector<std::string> ParsedArgs::list(const std::string& name) const {
  std::vector<std::string> out;
  std::stringstream in(str(name));
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int64_t ParsedArgs::integer(const std::string& name) const {
  const std::string v = str(name);
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') throw usage("--" + name + " expects an integer, got '" + v + "'");
  return n;
}

double ParsedArgs::number(const std::string& name) const {
  const std::string v = str(name);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') throw usage("--" + name + " expects a number, got '" + v + "'");
  return x;
}

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

ParsedArgs parse(const VerbSpec& spec, const std::vector<std::string>& args) {
  ParsedArgs out;
  for (const auto& o : spec.options)
    if (!o.default_value.empty()) out.values_[o.name] = o.default_value;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      const auto eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      const OptionSpec* opt = nullptr;
      for (const auto& o : spec.options)
        if (o.name == name) opt = &o;
      if (!opt) throw usage("irqlora " + spec.name + ": unknown option --" + name + " (see irqlora " + spec.name + " --help)");
      if (opt->value_name.empty()) {
        if (inline_value) throw usage("--" + name + " takes no value");
        out.values_[name] = "1";
        out.given_.insert(name);
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= args.size()) throw usage("--" + name + " needs a value " + opt->value_name);
        value = args[++i];
      }
      out.values_[name] = value;
      out.given_.insert(name);
    } else {
      out.positional.push_back(a);
    }
  }
  if (out.positional.size() < spec.min_positional)
    throw usage("irqlora " + spec.name + ": missing " + spec.positionals + " (usage: irqlora " + spec.name + " " +
                spec.positionals + " [options])");
  if (out.positional.size() > spec.max_positional)
    throw usage("irqlora " + spec.name + ": unexpected argument '" + out.positional[spec.max_positional] + "'");
  return out;
}

std::string help(const VerbSpec& spec) {
  std::ostringstream s;
  s << "usage: irqlora " << spec.name << (spec.positionals.empty() ? "" : " " + spec.positionals) << " [options]\n\n"
    << spec.summary << "\n";
  if (!spec.options.empty()) s << "\noptions:\n";
  for (const auto& o : spec.options) {
    std::string lhs = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    if (lhs.size() < 28) lhs.append(28 - lhs.size(), ' ');
    else lhs += "  ";
    s << lhs << o.help;
    if (!o.default_value.empty() && !o.value_name.empty()) s << " (default " << o.default_value << ")";
    s << "\n";
  }
  s << "  --help                    this text\n";
  return s.str();
}

}  // namespace irq::cli
