// What an adapter folder says about the base it was trained on, read from
// DIR/adapter_config.json before any model is loaded (PEFT layout plus the
// engine's "irqlora" section): the base's quantization settings (null for a
// full-precision base) and the adapted projections. Callers quantize on load
// with them (quant/load_quantized.h); load_adapter then checks the base.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace irq {

struct AdapterBase {
  nlohmann::json quant;  // QuantSettings JSON (valid settings), or null
  std::vector<std::string> targets;  // decoder projection names
  nlohmann::json config;  // the whole file, for load_adapter's LoRA fields
};

// Throws Error naming adapter_config.json when it is missing or malformed:
// peft_type, target_modules, the "irqlora" section and its settings.
AdapterBase adapter_base(const std::filesystem::path& dir);

}  // namespace irq
