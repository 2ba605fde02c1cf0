// irqlora demo [--out DIR]: writes the built-in synthetic demo model.
#include <cstdio>

#include "cli/verbs.h"
#include "demo/demo_model.h"

namespace irq::cli {

namespace {

int run_demo(const ParsedArgs& args) {
  const std::filesystem::path dir = args.has("out") ? std::filesystem::path(args.str("out")) : default_demo_dir();
  if (args.flag("force")) write_demo_model(dir);
  else ensure_demo_model(dir);
  std::printf("%s\n", dir.c_str());
  return 0;
}

}  // namespace

Verb demo_verb() {
  VerbSpec spec{"demo", "", "write the built-in demo model (synthetic LLaMA, HF layout) and print its path", {}, 0, 0};
  spec.options = {{"out", "DIR", "where to write it (default: the user data directory)", ""},
                  {"force", "", "rewrite it even when a current one is there", ""}};
  return {spec, &run_demo};
}

}  // namespace irq::cli
