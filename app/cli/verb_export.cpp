// irqlora export MODEL_DIR --format irq|peft|merged|gguf|bnb-nf4 --out PATH
//   [--adapter DIR] [--quant METHOD ...] [--gguf-type f32|f16|q8_0|q4_1]
//   [--out-dtype float16|bfloat16|float32] [--force]
// Loads the model in float32 on the CPU (an irqlora-quant checkpoint loads
// quantized; --quant quantizes; --adapter adds a finetuned adapter on the
// base it was trained on), then writes one export atomically and records it
// in the runs database as an artifact.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "common/error.h"
#include "export/bnb_export.h"
#include "export/export_target.h"
#include "export/gguf_export.h"
#include "export/hf_export.h"
#include "quant/quant_checkpoint.h"
#include "quant/quantize_model.h"
#include "runtime/runtime.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace irq::cli {

namespace {

DType out_dtype(const std::string& s) {
  if (s == "float16" || s == "fp16") return DType::kF16;
  if (s == "bfloat16" || s == "bf16") return DType::kBF16;
  if (s == "float32" || s == "fp32") return DType::kF32;
  throw make_error(ErrorKind::kUsage, "--out-dtype " + s, "expected float16, bfloat16 or float32");
}

GgmlType gguf_type(const std::string& s) {
  if (s == "f32") return GgmlType::kF32;
  if (s == "f16") return GgmlType::kF16;
  if (s == "q8_0") return GgmlType::kQ8_0;
  if (s == "q4_1") return GgmlType::kQ4_1;
  throw make_error(ErrorKind::kUsage, "--gguf-type " + s, "expected f32, f16, q8_0 or q4_1");
}

void export_irq(LoadedModel& model, const fs::path& out, const ExportOptions& options) {
  std::map<std::string, QuantizedTensor> quantized;
  for (const auto& item : model.model->named_modules("", false)) {
    auto* l = item.value()->as<LinearImpl>();
    if (!l || !l->quantized()) continue;
    if (l->has_lora()) throw make_error(ErrorKind::kUsage, "--format irq", "holds the quantized base only; export the adapter with --format peft");
    quantized.emplace(item.key() + ".weight", l->quant->to_host());
  }
  if (quantized.empty()) throw make_error(ErrorKind::kUsage, "--format irq", "the model is not quantized; pass --quant METHOD");
  if (fs::exists(model.dir / "irqlora_quant.json"))
    throw make_error(ErrorKind::kUsage, model.dir.string(), "is already an irqlora-quant checkpoint; copy the directory instead");
  check_export_target(out, options.force, model.checkpoint_bytes);
  write_quant_checkpoint(model.dir, out, quantized, options.force);
}

int run(const ParsedArgs& args) {
  init_runtime();
  const std::string format = args.str("format");
  if (format.empty()) throw Error(ErrorKind::kUsage, "--format irq|peft|merged|gguf|bnb-nf4 is required");
  if (!args.has("out")) throw Error(ErrorKind::kUsage, "--out PATH is required");
  const fs::path out = args.str("out");
  LoadOptions lo;
  lo.device = torch::kCPU;
  lo.dtype = torch::kFloat32;
  lo.require_tokenizer = format == "gguf";
  auto model = load_model(args.positional[0], lo);
  nlohmann::json quant = quantize_for_cli(model, args);
  if (args.has("adapter")) {
    const auto q = load_adapter(args.str("adapter"), model);
    if (quant.is_null()) quant = q;
  }
  const nlohmann::json config = {{"format", format}, {"out", fs::absolute(out).string()}, {"quant", quant},
                                 {"adapter", args.has("adapter") ? fs::absolute(args.str("adapter")).string() : ""},
                                 {"gguf_type", args.str("gguf-type")}, {"out_dtype", args.str("out-dtype")}};
  RunRecorder rec(args, "export", args.positional[0], config, "cpu");
  return rec.record([&] {
    ProgressBar bar;
    ExportOptions o;
    o.force = args.flag("force");
    o.progress = &bar;
    if (format == "irq") export_irq(model, out, o);
    else if (format == "peft") export_peft(model, out, quant, o);
    else if (format == "merged") export_merged(model, out, out_dtype(args.str("out-dtype")), o);
    else if (format == "gguf") export_gguf(model, out, gguf_type(args.str("gguf-type")), o);
    else if (format == "bnb-nf4") export_bnb_nf4(model, out, out_dtype(args.str("out-dtype")), o);
    else throw make_error(ErrorKind::kUsage, "--format " + format, "expected irq, peft, merged, gguf or bnb-nf4");
    bar.finish();
    rec.artifact("export-" + format, out);
    std::printf("exported %s: %s\n", format.c_str(), out.c_str());
    return 0;
  });
}

}  // namespace

Verb export_verb() {
  VerbSpec spec{"export", "MODEL_DIR", "write a quantized checkpoint, peft adapter, merged checkpoint, GGUF or bitsandbytes NF4", {}, 1, 1};
  spec.options = {{"format", "F", "irq, peft, merged, gguf or bnb-nf4", ""},
                  {"out", "PATH", "output directory (a file for gguf)", ""},
                  {"adapter", "DIR", "adapter from irqlora finetune (peft: required; merged/gguf: merged into the weights)", ""},
                  {"gguf-type", "T", "gguf tensor type: f32, f16, q8_0, or q4_1 (from --quant int4 --quant-group 32)", "f16"},
                  {"out-dtype", "TYPE", "merged / bnb-nf4 tensor dtype: float16, bfloat16, float32", "bfloat16"},
                  {"force", "", "overwrite --out", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run};
}

}  // namespace irq::cli
