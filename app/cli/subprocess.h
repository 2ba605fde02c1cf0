// Runs a program with an argument vector (posix_spawnp, no shell) and captures
// its output. Used by the bench verbs that time a reference implementation
// (the numpy ICQ oracle, Hugging Face tokenizers): a path from the command line
// is one argv element, never text a shell parses, so a quote in it is only a
// quote.
#pragma once

#include <string>
#include <vector>

namespace irq::cli {

struct CapturedRun {
  bool started = false;  // posix_spawnp found and started argv[0]
  int exit_code = -1;    // the exit status; -1 when it did not exit normally
  std::string output;    // its stdout (and stderr when merge_stderr)
  bool ok() const { return started && exit_code == 0; }
};

// Runs argv (argv[0] looked up in PATH) with the environment plus extra_env
// ("NAME=value" entries, which win over inherited ones), and waits for it.
CapturedRun run_capture(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                        bool merge_stderr = false);

}  // namespace irq::cli
