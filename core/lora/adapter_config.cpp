// adapter_config.json: the base an adapter was trained on.
#include "lora/adapter_config.h"

#include <fstream>

#include "common/error.h"
#include "io/json_file.h"

namespace irq {

namespace fs = std::filesystem;

AdapterBase adapter_base(const fs::path& dir) {
  const fs::path cfg_path = dir / "adapter_config.json";
  const auto cfg = read_json_file(cfg_path);
  if (cfg.is_discarded() || !cfg.is_object() || cfg.value("peft_type", "") != "LORA")
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "not a LoRA adapter config (peft_type LORA)");
  AdapterBase b;
  try {
    b.targets = cfg.at("target_modules").get<std::vector<std::string>>();
    if (cfg.contains("irqlora") && cfg["irqlora"].is_object()) b.quant = cfg["irqlora"].value("quantization", nlohmann::json(nullptr));
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), e.what());
  }
  return b;
}

}  // namespace irq
