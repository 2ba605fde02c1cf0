// irqlora export MODEL_DIR --format irq|peft|merged|gguf|bnb-nf4 --out PATH
//   [--adapter DIR] [--quant METHOD ...] [--gguf-type f32|f16|q8_0|q4_1]
//   [--out-dtype auto|float16|bfloat16|float32] [--force]
// The CLI face of core/jobs/export_job.h (the workbench's Export dialog is the
// other): loads in float32 on the CPU, optionally quantizes and adds an
// adapter, writes the export atomically and records it as a run artifact.
#include <cstdio>
#include <filesystem>

#include "cli/event_stream.h"
#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "common/error.h"
#include "jobs/export_job.h"

namespace irq::cli {

namespace {

int run_export(const ParsedArgs& args) {
  if (args.str("format").empty()) throw Error(ErrorKind::kUsage, "--format (" + export_formats_text() + ") is required");
  if (!args.has("out")) throw Error(ErrorKind::kUsage, "--out PATH is required");
  ExportRequest r;
  r.model_dir = args.positional[0];
  r.out = args.str("out");
  r.format = args.str("format");
  if (args.has("adapter")) r.adapter_dir = args.str("adapter");
  if (args.has("quant")) {
    r.quant = args.str("quant");
    r.quant_group = args.integer("quant-group");
    r.quant_icq = !args.flag("quant-no-icq");
    r.quant_gptq = gptq_from_args(args);
  }
  r.gguf_type = args.str("gguf-type");
  r.out_dtype = args.str("out-dtype");
  r.force = args.flag("force");
  r.merge_adapter = args.flag("merge-adapter");
  r.db_path = record_db_path(args);
  ProgressBar bar;
  run_export(r, &bar);
  bar.finish();
  std::printf("exported %s: %s\n", r.format.c_str(), r.out.c_str());
  // --progress jsonl: where the export is, for a program that follows the CLI (the job recorded it already)
  events::emit("artifact", {{"run_id", nullptr}, {"kind", "export-" + r.format}, {"path", std::filesystem::absolute(r.out).string()}});
  return 0;
}

}  // namespace

Verb export_verb() {
  VerbSpec spec{"export", "MODEL_DIR", "write a quantized checkpoint, peft adapter, merged checkpoint, GGUF or bitsandbytes NF4", {}, 1, 1};
  spec.options = {{"format", "F", "irq, peft, merged, gguf, or a quantization format's own (the built-in NF4's: bnb-nf4)", ""},
                  {"out", "PATH", "output directory (a file for gguf)", ""},
                  {"adapter", "DIR", "adapter from irqlora finetune (peft: required; merged/gguf: merged into the weights)", ""},
                  {"merge-adapter", "", "--format irq: fold a QA-LoRA adapter (finetune --qa-lora) into the INT base's zero points", ""},
                  {"gguf-type", "T", "gguf tensor type: f32, f16, q8_0, or q4_1 (from --quant int4 --quant-group 32)", "f16"},
                  {"out-dtype", "TYPE", "merged / bnb-nf4 tensor dtype: auto (the checkpoint's widest float type), float16, bfloat16, float32", "auto"},
                  {"force", "", "overwrite --out", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run_export};
}

}  // namespace irq::cli
