// Quantizes a loaded model in place: every targeted decoder projection's
// Linear gets a frozen QuantizedWeight (the float weight is freed), so the
// model runs on the quantized base. The stats come from the same pass.
#pragma once

#include "quant/model_quantizer.h"

namespace irq {

struct LoadedModel;

ModelQuantStats quantize_model(LoadedModel& model, const ModelQuantOptions& options);

}  // namespace irq
