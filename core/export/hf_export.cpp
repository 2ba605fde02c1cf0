// Merged full-precision checkpoints and folded peft adapters (see hf_export.h).
#include "export/hf_export.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "io/json_file.h"
#include "export/export_target.h"
#include "export/model_tensors.h"
#include "io/safetensors_stream_writer.h"
#include "io/safetensors_writer.h"
#include "lora/lora_adapter.h"
#include "model/layers.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

torch::ScalarType scalar_type(DType d) {
  switch (d) {
    case DType::kF16: return torch::kFloat16;
    case DType::kBF16: return torch::kBFloat16;
    case DType::kF32: return torch::kFloat32;
    default: throw make_error(ErrorKind::kUsage, "export", std::string("unsupported dtype ") + dtype_name(d));
  }
}

const char* hf_dtype_name(DType d) { return d == DType::kF16 ? "float16" : d == DType::kBF16 ? "bfloat16" : "float32"; }

nlohmann::json read_json(const fs::path& file) {
  auto j = read_json_file(file);
  if (!j.is_object()) throw make_error(ErrorKind::kInvalidInput, file.string(), "is not a JSON object");
  return j;
}

}  // namespace

void export_merged(LoadedModel& model, const fs::path& out, DType dtype, const ExportOptions& options) {
  const auto type = scalar_type(dtype);
  const auto tensors = model_tensors(model, /*merge_adapters=*/true);
  std::vector<TensorSpec> specs;
  uint64_t bytes = 0;
  for (const auto& t : tensors) {
    specs.push_back({t.name, dtype, t.shape});
    bytes += specs.back().bytes();
  }
  check_export_target(out, options.force, bytes);
  auto config = read_json(model.dir / "config.json");
  config["torch_dtype"] = hf_dtype_name(dtype);
  config.erase("quantization_config");
  AtomicDir dir(out);
  {
    SafetensorsStreamWriter writer(dir.path() / "model.safetensors", specs, {{"format", "pt"}});
    int64_t done = 0;
    for (const auto& t : tensors) {
      if (options.cancel) options.cancel->throw_if_cancelled("export " + out.string());
      const auto v = t.value().to(type).contiguous();
      writer.write(t.name, v.data_ptr(), static_cast<uint64_t>(v.numel()) * v.element_size());
      if (options.progress) options.progress->progress("export", ++done, static_cast<int64_t>(tensors.size()));
    }
    writer.finish();
  }
  write_text_atomic(dir.path() / "config.json", config.dump(2) + "\n");
  copy_tokenizer_files(model.dir, dir.path());
  dir.commit();
}

void export_peft(LoadedModel& model, const fs::path& out, const nlohmann::json& quant, const ExportOptions& options) {
  const auto layers = adapted_linears(model);
  if (layers.empty()) throw make_error(ErrorKind::kUsage, "export --format peft", "the model has no adapter (pass --adapter DIR)");
  std::vector<torch::Tensor> keep;
  std::vector<TensorBlob> blobs;
  std::set<std::string> targets;
  bool iec = false;
  int64_t rank = 0;
  double scaling = 0, dropout = 0;
  uint64_t bytes = 0;
  for (const auto& [name, l] : layers) {
    torch::NoGradGuard no_grad;
    const LoraAdapter& lora = *lora_of(*l);
    const auto [A2, B2] = lora.folded(torch::kFloat32);
    for (const auto& [key, t] : {std::pair{".lora_A.weight", A2}, std::pair{".lora_B.weight", B2}}) {
      keep.push_back(t.to(torch::kCPU).contiguous());
      blobs.push_back({"base_model.model." + name + key, DType::kF32, keep.back().sizes().vec(), keep.back().data_ptr()});
      bytes += static_cast<uint64_t>(keep.back().numel()) * 4;
    }
    iec = iec || lora.iec();
    rank = lora.rank();
    scaling = lora.scaling;
    dropout = lora.dropout;  // what it was trained with; peft applies it only in training
    targets.insert(name.substr(name.rfind('.') + 1));
  }
  check_export_target(out, options.force, bytes);
  const nlohmann::json config = {{"peft_type", "LORA"},
                                 {"task_type", "CAUSAL_LM"},
                                 {"base_model_name_or_path", model.dir.string()},
                                 {"r", rank},
                                 {"lora_alpha", scaling * static_cast<double>(rank)},
                                 {"lora_dropout", dropout},
                                 {"bias", "none"},
                                 {"fan_in_fan_out", false},
                                 {"inference_mode", true},
                                 {"target_modules", std::vector<std::string>(targets.begin(), targets.end())}};
  const nlohmann::json provenance = {{"exported_by", std::string("irqlora ") + IRQ_VERSION},
                                     {"iec_folded", iec},
                                     {"fold", "A' = A + beta_a * G (group mean), B' = B + beta_b * R (repeat)"},
                                     {"base_quantization", quant}};
  AtomicDir dir(out);
  write_safetensors(dir.path() / "adapter_model.safetensors", blobs, {{"format", "pt"}});
  write_text_atomic(dir.path() / "adapter_config.json", config.dump(2) + "\n");
  write_text_atomic(dir.path() / "irqlora_export.json", provenance.dump(2) + "\n");
  dir.commit();
}

}  // namespace irq
