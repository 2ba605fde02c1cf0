// Quantize on load: a quantized model built from the memory-mapped
// checkpoint without the full-precision model ever existing. The model is
// constructed on the CPU with its targeted projections left unread (their
// storage is never touched, so it costs no memory), every other tensor is
// copied, each projection is then read from the mapping, quantized (on the
// GPU when the model goes to CUDA), and only its packed form kept; finally
// the model moves to its device. The mapped bytes are released from the
// resident set tensor by tensor. Peak memory: the quantized model, one
// projection in float32, and the unquantized tensors (embeddings, norms,
// lm_head). `bench load --quant` measures it.
#pragma once

#include <filesystem>
#include <optional>

#include "model/model_loader.h"
#include "quant/model_quantizer.h"

namespace irq {

LoadedModel load_quantized(const std::filesystem::path& dir, LoadOptions load, ModelQuantOptions quant,
                           ModelQuantStats* stats = nullptr);

}  // namespace irq
