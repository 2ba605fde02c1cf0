// GPTQ over a model's decoder projections in AutoGPTQ's order: the
// calibration segments (calibration.h) are embedded once; then layer by layer
// the layer's projections are read in float32 (fetch), the layer runs on the
// compute device, and its projections are quantized in the subsets
// [k, v, q], [o], [up, gate], [down] ("true sequential"), each calibrated on
// the inputs produced by the already-quantized parts; the quantized layer's
// outputs are the next layer's inputs. Memory: one layer's float32 weights
// and two (N, T, C) activation buffers.
#pragma once

#include "model/model_loader.h"
#include "quant/model_quantizer.h"
#include "quant/quantize_weights.h"

namespace irq {

// `loaded` has its targeted projections unread (load_model's deferred
// weights) or readable by fetch; they end quantized (QuantizedWeight on the
// compute device). store() receives each layer's tensors in quantizable_weights
// order. Compute device: CUDA when options.use_cuda, else the CPU.
ModelQuantStats gptq_quantize_model(LoadedModel& loaded, const ModelQuantOptions& options, const WeightFetch& fetch,
                                    const QuantSink& store);

}  // namespace irq
