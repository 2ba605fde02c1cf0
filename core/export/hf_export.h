// Hugging Face-layout exports of a loaded model:
//  - export_merged: a standard LlamaForCausalLM directory (config.json,
//    model.safetensors in float16/bfloat16/float32, tokenizer files): each
//    projection is its dequantized base plus the merged adapter update.
//  - export_peft: the model's adapter as a plain peft LoRA adapter
//    (adapter_config.json + adapter_model.safetensors with keys
//    base_model.model.<module>.lora_A.weight / lora_B.weight). IEC is linear,
//    so it folds exactly: A' = A + beta_a G, B' = B + beta_b R, B'A' = the
//    IEC update. irqlora_export.json records what was folded and the base's
//    quantization (peft applies the adapter to whatever base it is given; the
//    merged or irq export of the same base reproduces the trained setup).
// Both write into a temporary directory renamed over `out` when complete.
#pragma once

#include <filesystem>

#include <nlohmann/json_fwd.hpp>

#include "common/progress.h"
#include "io/dtype.h"
#include "model/model_loader.h"

namespace irq {

struct ExportOptions {
  bool force = false;
  ProgressSink* progress = nullptr;
  const CancelToken* cancel = nullptr;
};

// dtype: kF16, kBF16 or kF32.
void export_merged(LoadedModel& model, const std::filesystem::path& out, DType dtype, const ExportOptions& options);

// Throws Error(kUsage) when the model has no adapter. `quant`: the base's
// quantization settings (null for a full-precision base), recorded only.
void export_peft(LoadedModel& model, const std::filesystem::path& out, const nlohmann::json& quant,
                 const ExportOptions& options);

}  // namespace irq
