// irqlora: the CLI's entry point, kept light. The verbs that need no
// LibTorch (info, tokenize, plan: config.json, headers, tokenizers) run here
// on irq_base alone, so they start in milliseconds and a few MB whatever the
// model's size; every other verb (and the full --help) executes
// irqlora-engine beside this binary with the same arguments, after this
// process has set the engine's OpenMP environment (runtime/threads.h), so
// LibTorch is loaded once, by the engine.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "builtin_formats.h"
#include "cli/dispatch.h"
#include "runtime/threads.h"

namespace {

std::vector<irq::cli::Verb> light_verbs() { return {irq::cli::info_verb(), irq::cli::tokenize_verb(), irq::cli::plan_verb()}; }

std::string engine_path() {
  if (const char* e = std::getenv("IRQ_ENGINE"); e && *e) return e;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ((ec ? std::filesystem::path(".") : self.parent_path()) / "irqlora-engine").string();
}

}  // namespace

int main(int argc, char** argv) {
  irq::prepare_thread_environment(argc, argv);  // --threads and the OpenMP environment, inherited by the engine
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "version")) {
    std::printf("irqlora %s\n", IRQ_VERSION);
    return 0;
  }
  const auto verbs = light_verbs();
  size_t words = 0;
  if (const auto* verb = args.empty() ? nullptr : irq::cli::find_verb(verbs, args, &words))
    return irq::cli::run_verb(*verb, std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(words), args.end()),
                              [] { irq::register_builtin_format_descriptions(); });  // what --quant names (no LibTorch)
  const std::string engine = engine_path();
  std::vector<char*> engine_argv(argv, argv + argc);
  engine_argv.push_back(nullptr);
  execv(engine.c_str(), engine_argv.data());
  std::fprintf(stderr, "irqlora: cannot start %s: %s (set IRQ_ENGINE to its path)\n", engine.c_str(), std::strerror(errno));
  return 1;
}
