// Pieces of an `irqlora` command line built from a request, for jobs that
// run the CLI (jobs/remote_job.h): numbers written so that the CLI parses
// back the same double, and the GPTQ options. Torch-free.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "quant/quant_settings.h"

namespace irq {

inline std::string cli_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// --gptq and its options (nothing when GPTQ is off).
inline std::vector<std::string> gptq_cli_args(const GptqSettings& g) {
  if (!g.enabled) return {};
  std::vector<std::string> a = {"--gptq", "--calib", g.calib, "--nsamples", std::to_string(g.nsamples), "--seqlen", std::to_string(g.seqlen),
                                "--calib-seed", std::to_string(g.seed), "--damp", cli_number(g.damp)};
  if (g.sym) a.emplace_back("--sym");
  if (g.act_order) a.emplace_back("--act-order");
  return a;
}

}  // namespace irq
