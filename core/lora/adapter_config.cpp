// adapter_config.json: the base an adapter was trained on.
#include "lora/adapter_config.h"

#include <fstream>

#include "common/error.h"
#include "io/json_file.h"
#include "quant/model_quantizer.h"
#include "quant/quant_settings.h"

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
    if (cfg.contains("irqlora")) {
      if (!cfg["irqlora"].is_object()) throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "'irqlora' must be an object");
      b.quant = cfg["irqlora"].value("quantization", nlohmann::json(nullptr));
    }
    if (!b.quant.is_null() && !b.quant.is_object())
      throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "'irqlora.quantization' must be an object or null");
    if (!b.quant.is_null()) QuantSettings::from_json(b.quant, cfg_path.string());  // checked before anything is built from it
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), e.what());
  }
  b.config = cfg;
  return b;
}

}  // namespace irq
