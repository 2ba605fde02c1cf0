// Verb lookup, usage, error mapping.
#include "cli/dispatch.h"

#include <cstdio>
#include <cstdlib>

#include "cli/event_stream.h"
#include "common/error.h"
#include "common/join.h"
#include "common/exit_codes.h"
#include "dist/dist_env.h"
#include "io/hub_cache.h"
#include "quant/quant_format.h"

namespace irq::cli {

const Verb* find_verb(const std::vector<Verb>& verbs, const std::vector<std::string>& args, size_t* words) {
  const Verb* verb = nullptr;
  *words = 0;
  for (const auto& v : verbs) {
    std::vector<std::string> parts;
    size_t start = 0, sp;
    while ((sp = v.spec.name.find(' ', start)) != std::string::npos) {
      parts.push_back(v.spec.name.substr(start, sp - start));
      start = sp + 1;
    }
    parts.push_back(v.spec.name.substr(start));
    if (parts.size() > args.size() || parts.size() <= *words) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size(); ++i) match = match && parts[i] == args[i];
    if (match) {
      verb = &v;
      *words = parts.size();
    }
  }
  return verb;
}

void print_usage(const std::vector<Verb>& verbs) {
  std::printf("irqlora %s: IR-QLoRA workbench, headless.\n\nusage: irqlora VERB [ARGS] [options]\n\nverbs:\n", IRQ_VERSION);
  for (const auto& v : verbs) {
    std::string lhs = "  " + v.spec.name + (v.spec.positionals.empty() ? "" : " " + v.spec.positionals);
    if (lhs.size() < 30) lhs.append(30 - lhs.size(), ' ');
    std::printf("%s%s\n", lhs.c_str(), v.spec.summary.c_str());
  }
  std::printf("\n'irqlora VERB --help' describes a verb's options.\n"
              "--threads N (any verb): CPU threads of the engine (default: the cores this process may use)\n"
              "--progress jsonl (any verb): progress, metrics, artifacts and the result as JSON lines on stderr\n"
              "MODEL_DIR may be a Hugging Face repo id (org/name [--revision R]) found in the local hub cache\n"
              "exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 not found, 5 unsupported, 6 i/o, 130 cancelled\n");
}

namespace {

// An option's help may say {quant_methods}: the registered formats' methods ("nf4, int2, ...").
std::string with_methods(std::string text) {
  const std::string key = "{quant_methods}";
  const std::string methods = join(quant_method_names());
  for (size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), methods);
  return text;
}

}  // namespace

int run_verb(const Verb& verb, std::vector<std::string> rest, const std::function<void()>& before) {
  if (wants_help(rest)) {
    if (before) before();  // the formats, whose methods the help lists
    std::printf("%s", with_methods(help(verb.spec)).c_str());
    return 0;
  }
  try {
    if (before) before();
    // --progress jsonl (any verb): the machine-readable event stream (cli/event_stream.h).
    for (size_t i = 0; i < rest.size(); ++i)
      if (rest[i] == "--progress") {
        if (i + 1 >= rest.size()) throw make_error(ErrorKind::kUsage, "--progress", "needs a value: bar or jsonl");
        const std::string mode = rest[i + 1];
        if (mode != "bar" && mode != "jsonl")
          throw make_error(ErrorKind::kUsage, "--progress '" + mode + "'", "expected bar or jsonl");
        if (mode == "jsonl") {
          // data parallel: rank 0 alone streams; under our launcher (which
          // writes start and result) without those two
          int rank = 0;
          try {
            rank = dist_env().rank;  // torchrun's RANK or Slurm's SLURM_PROCID
          } catch (const Error&) {  // malformed: the data-parallel verbs report it
          }
          if (rank == 0) events::enable(verb.spec.name, /*announce=*/!std::getenv("IRQLORA_LAUNCHED"));
        }
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
    // --revision R (any verb that takes MODEL_DIR): MODEL_DIR may be a Hugging
    // Face repo id, resolved offline in the local hub cache (io/hub_cache.h).
    std::string revision;
    for (size_t i = 0; i < rest.size(); ++i)
      if (rest[i] == "--revision" && i + 1 < rest.size()) {
        revision = rest[i + 1];
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i), rest.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
    auto args = parse(verb.spec, rest);
    if (verb.spec.positionals.rfind("MODEL_DIR", 0) == 0 && !args.positional.empty())
      args.positional[0] = resolve_model_dir(args.positional[0], revision).string();
    else if (!revision.empty())
      throw make_error(ErrorKind::kUsage, "--revision", "this verb takes no MODEL_DIR");
    const int rc = verb.run(args);
    events::result(rc, rc == 0 ? "" : "exit code " + std::to_string(rc));
    return rc;
  } catch (const Error& e) {
    std::fprintf(stderr, "irqlora %s: error: %s\n", verb.spec.name.c_str(), e.what());
    if (e.kind() == ErrorKind::kUsage) std::fprintf(stderr, "(irqlora %s --help shows the options)\n", verb.spec.name.c_str());
    events::result(exit_code(e.kind()), e.what());
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "irqlora %s: internal error: %s\n", verb.spec.name.c_str(), e.what());
    events::result(1, std::string("internal error: ") + e.what());
    return 1;
  }
}

}  // namespace irq::cli
