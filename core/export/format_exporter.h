// Exporters that quantization formats bring (plugins/<name>/): `export
// --format NAME` writes the model as another library stores that format
// (NF4: "bnb-nf4", as bitsandbytes / transformers save a load_in_4bit model).
// The engine's own exports (irq, peft, merged, gguf) are core/export's.
// Torch-free, so that the workbench's export dialog lists them.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace irq {

struct LoadedModel;    // model/model_loader.h
struct ExportOptions;  // export/hf_export.h

struct FormatExporter {
  std::string name;         // the --format value
  std::string description;
  // dtype: what the unquantized tensors are written as (kF16, kBF16 or kF32).
  std::function<void(LoadedModel&, const std::filesystem::path& out, DType dtype, const ExportOptions&)> run;
};

void register_format_exporter(FormatExporter exporter);
const FormatExporter* find_format_exporter(const std::string& name);
std::vector<std::string> format_exporter_names();  // in order of registration

}  // namespace irq
