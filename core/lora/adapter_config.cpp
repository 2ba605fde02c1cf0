// adapter_config.json: the base an adapter was trained on.
#include "lora/adapter_config.h"

#include <fstream>

#include "common/error.h"
#include "io/json_file.h"
#include "quant/model_quantizer.h"

namespace irq {

namespace fs = std::filesystem;

AdapterBase adapter_base(const fs::path& dir) {
  const fs::path cfg_path = dir / "adapter_config.json";
  const auto cfg = read_json_file(cfg_path);
  if (cfg.is_discarded() || !cfg.is_object() || !cfg.contains("peft_type") || cfg["peft_type"] != "LORA")
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "not a LoRA adapter config (peft_type LORA)");
  AdapterBase b;
  try {
    b.targets = json_field<std::vector<std::string>>(cfg, "target_modules", cfg_path.string());
    check_projection_names(b.targets, cfg_path.string());
    if (cfg.contains("irqlora") && cfg["irqlora"].is_object()) b.quant = cfg["irqlora"].value("quantization", nlohmann::json(nullptr));
    if (!b.quant.is_null() && !b.quant.is_object())
      throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "'irqlora.quantization' must be an object or null");
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), e.what());
  }
  return b;
}

}  // namespace irq
