// Pieces of an `irqlora` command line built from a request, for jobs that
// run the CLI (jobs/remote_job.h): numbers written so that the CLI parses
// back the same double, and the GPTQ options. Torch-free.
#pragma once

#include <cstdio>
#include <charconv>
#include <string>
#include <vector>

#include "common/error.h"
#include "jobs/eval_model_spec.h"
#include "quant/quant_settings.h"

namespace irq {

// {option, "a,b,c"} for a comma-separated list option; nothing when empty.
inline std::vector<std::string> cli_list_args(const std::string& option, const std::vector<std::string>& values) {
  if (values.empty()) return {};
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "" : ",") + v;
  return {option, list};
}

// The shortest text that reads back as exactly `x` (0.0002, not
// 0.00020000000000000001): exact for a remote CLI, readable in --help.
inline std::string cli_number(double x) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(x);
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

// --quant M --quant-group G [--quant-no-icq] [GPTQ]: quantize the base on
// load, as the eval verbs and export read it (nothing for a base as stored).
inline std::vector<std::string> base_quant_cli_args(const std::string& method, int64_t group, bool icq, const GptqSettings& gptq) {
  if (method.empty()) return {};
  std::vector<std::string> a = {"--quant", method, "--quant-group", std::to_string(group)};
  if (!icq) a.emplace_back("--quant-no-icq");
  const auto g = gptq_cli_args(gptq);
  a.insert(a.end(), g.begin(), g.end());
  return a;
}

// MODEL_DIR and the model options of the eval verbs (the CLI's
// eval_model_spec() reads them back): quantization, adapter, device, dtype.
// Throws Error(kUnsupported) for a whole recorded setting (no CLI options).
inline std::vector<std::string> eval_model_cli_args(const EvalModelSpec& m, const std::string& verb) {
  if (m.settings)
    throw make_error(ErrorKind::kUnsupported, verb + " through the CLI", "a whole recorded quantization setting runs in this process");
  std::vector<std::string> a = {m.model_dir.string(), "--device", m.device};
  const auto quant = base_quant_cli_args(m.quant, m.quant_group, m.icq, m.gptq);
  a.insert(a.end(), quant.begin(), quant.end());
  if (!m.adapter_dir.empty()) a.insert(a.end(), {"--adapter", m.adapter_dir.string()});
  if (!m.dtype.empty()) a.insert(a.end(), {"--dtype", m.dtype});
  if (m.requantize_n > 0) a.insert(a.end(), {"--requantize-n", std::to_string(m.requantize_n)});
  return a;
}

}  // namespace irq
