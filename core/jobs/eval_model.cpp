// Loading the model an evaluation scores (see eval_model.h).
#include "jobs/eval_model.h"

#include "common/error.h"
#include "quant/load_quantized.h"
#include "quant/quant_settings.h"
#include "quant/quantize_model.h"
#include "runtime/runtime.h"
#include "lora/adapter_io.h"


namespace irq {

std::optional<QuantSettings> base_settings(const EvalModelSpec& s) {
  if (s.settings) {
    s.settings->validate();
    return s.settings;
  }
  if (s.quant.empty()) return std::nullopt;
  auto q = QuantSettings::for_method(s.quant);
  q.block_size = s.quant_group;
  q.icq = s.icq;
  q.gptq = s.gptq;
  q.validate();
  return q;
}

void validate(const EvalModelSpec& s, std::vector<std::string>& problems) {
  // Paths are checked by the loaders, whose errors name the file (exit 4).
  if (s.model_dir.empty()) problems.push_back("model: open a model first");
  try {
    base_settings(s);
  } catch (const Error& e) {
    problems.push_back(std::string("quant: ") + e.what());
  }
  try {
    parse_device(s.device);
  } catch (const Error& e) {
    // A well-formed name of a device this machine lacks is not a mistake in
    // the request: loading reports it (Error kUnsupported, exit 5).
    if (e.kind() != ErrorKind::kUnsupported) problems.push_back(std::string("device: ") + e.what());
  }
  if (!s.dtype.empty()) try {
      parse_dtype(s.dtype);
    } catch (const Error& e) {
      problems.push_back(std::string("dtype: ") + e.what());
    }
  if (s.requantize_n < 0) problems.push_back("requantize_n: must be >= 1 (0: the adapter's own n)");
  if (s.requantize_n > 0 && (s.adapter_dir.empty() || !s.quant.empty() || s.settings))
    problems.push_back("requantize_n: rebuilds an adapter's own base: give an adapter and no quantization");
}

EvalModel load_eval_model(const EvalModelSpec& s, const CancelToken* cancel, ProgressSink* progress, ModelQuantStats* stats) {
  init_runtime();
  LoadOptions lo;
  lo.device = parse_device(s.device);
  if (!s.dtype.empty()) lo.dtype = parse_dtype(s.dtype);
  lo.require_tokenizer = true;
  lo.cancel = cancel;
  lo.progress = progress;
  EvalModel m;
  ModelQuantOptions q;
  bool quantize = false;
  if (const auto settings = base_settings(s)) {
    q.settings = *settings;
    m.quant = q.settings.to_json();
    quantize = true;
  } else if (!s.adapter_dir.empty()) {
    if (const auto base = adapter_base_quant(s.adapter_dir)) {  // load_adapter checks it is the adapter's own
      q = *base;
      if (s.requantize_n > 0 && q.settings.icq) q.settings.n = s.requantize_n;
      quantize = true;
    }
  }
  // Quantize on load: the full-precision model never exists.
  m.loaded = quantize ? load_quantized(s.model_dir, lo, q, stats) : load_model(s.model_dir, lo);
  if (quantize && stats) stats->settings = q.settings;
  if (!s.adapter_dir.empty()) {
    const auto adapter_quant = load_adapter(s.adapter_dir, m.loaded, s.requantize_n);
    if (m.quant.is_null()) m.quant = adapter_quant;
  }
  return m;
}

}  // namespace irq
