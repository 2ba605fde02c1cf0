// Torch-free entry points for front ends that must not include the torch
// headers (Qt's `slots` macro breaks them): load a model behind an opaque
// shared pointer and describe it as plain data (model_summary.h).
#pragma once

#include <filesystem>
#include <memory>

#include "model/model_summary.h"

namespace irq {

struct LoadedModel;

// Loads on the CPU in float32 (the workbench's inspection views). Throws irq::Error.
std::shared_ptr<LoadedModel> load_model_shared(const std::filesystem::path& dir);

}  // namespace irq
