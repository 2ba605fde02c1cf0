// Opening a model for a look: config.json + the safetensors headers (and
// irqlora_quant.json for the engine's quantized checkpoints) into the same
// plain-data ModelSummary that summarize(LoadedModel) gives, without
// building the model or reading any tensor data, so `irqlora info` and the
// workbench's module tree cost the same for 260K and 70B parameters.
// Shapes are checked against config.json as loading checks them.
// Torch-free header: the GUI includes it.
#pragma once

#include <filesystem>

#include "model/model_summary.h"

namespace irq {

// Throws Error naming the file / tensor (as load_model does for the same defects).
ModelSummary inspect_model(const std::filesystem::path& dir);

}  // namespace irq
