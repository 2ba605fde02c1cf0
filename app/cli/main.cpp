// irqlora: the headless CLI of the IR-QLoRA workbench. Dispatches to the verb
// table (cli/verbs.h) and maps engine errors to exit codes:
//   0 ok, 1 internal error, 2 usage, 3 invalid input file, 4 not found,
//   5 unsupported, 6 i/o error, 130 cancelled.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/verbs.h"
#include "common/error.h"
#include "io/hub_cache.h"
#include "plugin/plugin_loader.h"
#include "runtime/threads.h"

namespace {

int exit_code(irq::ErrorKind kind) {
  switch (kind) {
    case irq::ErrorKind::kUsage: return 2;
    case irq::ErrorKind::kInvalidInput: return 3;
    case irq::ErrorKind::kNotFound: return 4;
    case irq::ErrorKind::kUnsupported: return 5;
    case irq::ErrorKind::kIo: return 6;
    case irq::ErrorKind::kCancelled: return 130;
  }
  return 1;
}

void print_usage(const std::vector<irq::cli::Verb>& verbs) {
  std::printf("irqlora %s: IR-QLoRA workbench, headless.\n\nusage: irqlora VERB [ARGS] [options]\n\nverbs:\n", IRQ_VERSION);
  for (const auto& v : verbs) {
    std::string lhs = "  " + v.spec.name + (v.spec.positionals.empty() ? "" : " " + v.spec.positionals);
    if (lhs.size() < 30) lhs.append(30 - lhs.size(), ' ');
    std::printf("%s%s\n", lhs.c_str(), v.spec.summary.c_str());
  }
  std::printf("\n'irqlora VERB --help' describes a verb's options.\n"
              "--threads N (any verb): CPU threads of the engine (default: the cores this process may use)\n"
              "MODEL_DIR may be a Hugging Face repo id (org/name [--revision R]) found in the local hub cache\n"
              "exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 not found, 5 unsupported, 6 i/o, 130 cancelled\n");
}

}  // namespace

int main(int argc, char** argv) {
  irq::configure_process_threads(argc, argv);  // first: may re-execute with the OpenMP environment set
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto verbs = irq::cli::all_verbs();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(verbs);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("irqlora %s\n", IRQ_VERSION);
    return 0;
  }
  // Longest verb name that prefixes the arguments ("bench load" before "bench").
  const irq::cli::Verb* verb = nullptr;
  size_t words = 0;
  for (const auto& v : verbs) {
    std::vector<std::string> parts;
    size_t start = 0, sp;
    while ((sp = v.spec.name.find(' ', start)) != std::string::npos) {
      parts.push_back(v.spec.name.substr(start, sp - start));
      start = sp + 1;
    }
    parts.push_back(v.spec.name.substr(start));
    if (parts.size() > args.size() || parts.size() <= words) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size(); ++i) match = match && parts[i] == args[i];
    if (match) {
      verb = &v;
      words = parts.size();
    }
  }
  if (!verb) {
    std::fprintf(stderr, "irqlora: unknown verb '%s'\n\n", args[0].c_str());
    print_usage(verbs);
    return 2;
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(words), args.end());
  if (irq::cli::wants_help(rest)) {
    std::printf("%s", irq::cli::help(verb->spec).c_str());
    return 0;
  }
  try {
    irq::ensure_plugins_loaded();  // quantizer plugins; a bad one is skipped with a logged reason
    // --revision R (any verb that takes MODEL_DIR): MODEL_DIR may be a Hugging
    // Face repo id, resolved offline in the local hub cache (io/hub_cache.h).
    std::string revision;
    for (size_t i = 0; i < rest.size(); ++i)
      if (rest[i] == "--revision" && i + 1 < rest.size()) {
        revision = rest[i + 1];
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
    auto args = irq::cli::parse(verb->spec, rest);
    if (verb->spec.positionals.rfind("MODEL_DIR", 0) == 0 && !args.positional.empty())
      args.positional[0] = irq::resolve_model_dir(args.positional[0], revision).string();
    else if (!revision.empty())
      throw irq::make_error(irq::ErrorKind::kUsage, "--revision", "this verb takes no MODEL_DIR");
    return verb->run(args);
  } catch (const irq::Error& e) {
    std::fprintf(stderr, "irqlora %s: error: %s\n", verb->spec.name.c_str(), e.what());
    if (e.kind() == irq::ErrorKind::kUsage) std::fprintf(stderr, "(irqlora %s --help shows the options)\n", verb->spec.name.c_str());
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "irqlora %s: internal error: %s\n", verb->spec.name.c_str(), e.what());
    return 1;
  }
}
