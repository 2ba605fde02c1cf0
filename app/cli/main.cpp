// irqlora-engine: every verb of the headless CLI, on LibTorch (the light
// `irqlora` front end, front_main.cpp, runs info / tokenize / plan itself and
// executes this for the rest). Verb table: cli/verbs.h; dispatch and exit
// codes: cli/dispatch.h.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/data_parallel.h"
#include "cli/dispatch.h"
#include "builtin_formats.h"
#include "runtime/threads.h"

int main(int argc, char** argv) {
  irq::configure_process_threads(argc, argv);  // first: may re-execute with the OpenMP environment set
  irq::cli::remember_process_args(argc, argv);  // --nproc starts ranks of this same command
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto verbs = irq::cli::all_verbs();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    irq::cli::print_usage(verbs);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("irqlora %s\n", IRQ_VERSION);
    return 0;
  }
  size_t words = 0;
  const irq::cli::Verb* verb = irq::cli::find_verb(verbs, args, &words);
  if (!verb) {
    std::fprintf(stderr, "irqlora: unknown verb '%s'\n\n", args[0].c_str());
    irq::cli::print_usage(verbs);
    return 2;
  }
  return irq::cli::run_verb(*verb, std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(words), args.end()),
                            [] { irq::register_builtin_formats(); });  // the quantization formats (static plugins)
}
