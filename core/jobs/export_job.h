// One export for any front end (CLI verb, workbench Export dialog), torch-free:
// load the model in float32 on the CPU (an irqlora-quant checkpoint loads
// quantized), quantize it (optional), add an adapter (optional), write the
// chosen format atomically, and record the run with the artifact.
// Formats and their exactness: docs/exports.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/progress.h"
#include "io/dtype.h"
#include "quant/quant_settings.h"

namespace irq {

struct ExportRequest {
  std::filesystem::path model_dir, out, adapter_dir, db_path;  // adapter, db: optional
  std::string format;                 // irq, peft, merged, gguf, bnb-nf4
  std::string quant;                  // "" or a method
  int64_t quant_group = 64;
  bool quant_icq = true;
  GptqSettings quant_gptq;
  std::string gguf_type = "f16";      // f32, f16, q8_0, q4_1
  std::string out_dtype = "auto";     // merged / bnb-nf4: auto (the checkpoint's own), float16, bfloat16, float32
  bool force = false;
  // --format irq with an adapter: fold a QA-LoRA adapter into the INT base's
  // zero points (export/zero_point_merge.h) instead of refusing the adapter.
  bool merge_adapter = false;
};

// Throws irq::Error naming the file and the problem; returns the run id (-1 when not recorded).
// The `irqlora export` arguments for this request (a remote job): every
// field but db_path (the CLI there records into its own database).
std::vector<std::string> export_cli_args(const ExportRequest& r);

// What --format takes: irq, peft, merged, gguf, then the registered formats'
// own exporters (NF4: bnb-nf4), as "a, b or c" for messages.
std::vector<std::string> export_formats();
std::string export_formats_text();

int64_t run_export(const ExportRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr);

struct LoadedModel;
// --out-dtype auto: the widest float dtype the checkpoint stores (F32 if any
// tensor is F32, else BF16, else F16), so that the tensors an export does not
// change (embeddings, norms) are written without rounding.
DType source_float_dtype(const LoadedModel& model);

}  // namespace irq
