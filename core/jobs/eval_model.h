// Loading the model an evaluation job scores (EvalModelSpec): on the
// requested device and dtype, quantized on load when a method is given or
// when the adapter was trained on a quantized base (that base, rebuilt as it
// was), the adapter applied. `quant` is what the run records: the method's
// settings, the adapter's base, or null for full precision. Shared by the
// MMLU and task jobs so they load a model one way.
#pragma once

#include <nlohmann/json.hpp>

#include "common/progress.h"
#include "jobs/eval_model_spec.h"
#include "model/model_loader.h"
#include "quant/quant_stats.h"

namespace irq {

struct EvalModel {
  LoadedModel loaded;
  nlohmann::json quant;  // null: full precision
};

// stats: the base's quantization figures, when it is quantized (else untouched).
EvalModel load_eval_model(const EvalModelSpec& spec, const CancelToken* cancel, ProgressSink* progress = nullptr,
                          ModelQuantStats* stats = nullptr);

}  // namespace irq
