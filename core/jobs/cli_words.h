// Pieces of an `irqlora` command line built from a request, for jobs that
// run the CLI (jobs/remote_job.h): numbers written so that the CLI parses
// back the same double, and the GPTQ options. Torch-free.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "jobs/eval_model_spec.h"
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

// MODEL_DIR and the model options of the eval verbs (the CLI's
// eval_model_spec() reads them back): quantization, adapter, device, dtype.
// Throws Error(kUnsupported) for a whole recorded setting (no CLI options).
inline std::vector<std::string> eval_model_cli_args(const EvalModelSpec& m, const std::string& verb) {
  if (m.settings)
    throw make_error(ErrorKind::kUnsupported, verb + " through the CLI", "a whole recorded quantization setting runs in this process");
  std::vector<std::string> a = {m.model_dir.string(), "--device", m.device};
  if (!m.quant.empty()) {
    a.insert(a.end(), {"--quant", m.quant, "--quant-group", std::to_string(m.quant_group)});
    if (!m.icq) a.emplace_back("--quant-no-icq");
    const auto gptq = gptq_cli_args(m.gptq);
    a.insert(a.end(), gptq.begin(), gptq.end());
  }
  if (!m.adapter_dir.empty()) a.insert(a.end(), {"--adapter", m.adapter_dir.string()});
  if (!m.dtype.empty()) a.insert(a.end(), {"--dtype", m.dtype});
  return a;
}

}  // namespace irq
