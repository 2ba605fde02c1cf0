// Exports (see export_job.h).
#include "jobs/export_job.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/join.h"
#include "jobs/cli_words.h"
#include "export/format_exporter.h"
#include "export/export_target.h"
#include "export/gguf_export.h"
#include "export/hf_export.h"
#include "export/model_tensors.h"
#include "export/zero_point_merge.h"
#include "lora/lora_adapter.h"
#include "model/layers.h"
#include "quant/quant_checkpoint.h"
#include "quant/load_quantized.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"
#include "runs/run_recorder.h"
#include "runtime/runtime.h"
#include "lora/adapter_io.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

}  // namespace

DType source_float_dtype(const LoadedModel& model) {
  bool f16 = false, bf16 = false;
  for (const auto& [name, dtype] : model.stored_dtypes) {
    if (dtype == "F32" || dtype == "F64") return DType::kF32;
    f16 = f16 || dtype == "F16";
    bf16 = bf16 || dtype == "BF16";
  }
  return bf16 ? DType::kBF16 : f16 ? DType::kF16 : DType::kF32;
}

namespace {

// nullopt for "auto"; checked before the model is loaded.
std::optional<DType> parse_out_dtype(const std::string& s) {
  if (s == "auto") return std::nullopt;
  if (s == "float16" || s == "fp16") return DType::kF16;
  if (s == "bfloat16" || s == "bf16") return DType::kBF16;
  if (s == "float32" || s == "fp32") return DType::kF32;
  throw make_error(ErrorKind::kUsage, "--out-dtype " + s, "expected auto, float16, bfloat16 or float32");
}

GgmlType gguf_type(const std::string& s) {
  if (s == "f32") return GgmlType::kF32;
  if (s == "f16") return GgmlType::kF16;
  if (s == "q8_0") return GgmlType::kQ8_0;
  if (s == "q4_1") return GgmlType::kQ4_1;
  throw make_error(ErrorKind::kUsage, "--gguf-type " + s, "expected f32, f16, q8_0 or q4_1");
}

void export_irq(LoadedModel& model, const fs::path& out, const ExportOptions& options, bool merge_adapter) {
  std::map<std::string, QuantizedTensor> quantized;
  for (const auto& item : model.model->named_modules("", false)) {
    auto* l = item.value()->as<LinearImpl>();
    const QuantizedWeight* base = l ? quantized_weight(*l) : nullptr;
    if (!base) continue;
    const std::string name = item.key() + ".weight";
    const LoraAdapter* lora = lora_of(*l);
    if (!lora) {
      quantized.emplace(name, base->to_host());
      continue;
    }
    if (!merge_adapter)
      throw make_error(ErrorKind::kUsage, "--format irq",
                       "holds the quantized base only; export the adapter with --format peft, or fold a QA-LoRA adapter into "
                       "the INT zero points with --merge-adapter");
    torch::NoGradGuard no_grad;
    quantized.emplace(name, merge_into_zero_points(base->to_host(), lora->merged_delta(torch::kFloat64), name));
  }
  if (merge_adapter && adapted_linears(model).empty())
    throw make_error(ErrorKind::kUsage, "--merge-adapter", "the model has no adapter (pass --adapter DIR)");
  if (quantized.empty()) throw make_error(ErrorKind::kUsage, "--format irq", "the model is not quantized; pass --quant METHOD");
  if (fs::exists(model.dir / "irqlora_quant.json"))
    throw make_error(ErrorKind::kUsage, model.dir.string(), "is already an irqlora-quant checkpoint; copy the directory instead");
  check_export_target(out, options.force, model.checkpoint_bytes);
  write_quant_checkpoint(model.dir, out, quantized, options.force);
}

}  // namespace

std::vector<std::string> export_cli_args(const ExportRequest& r) {
  std::vector<std::string> a = {r.model_dir.string(), "--format", r.format, "--out", r.out.string(), "--gguf-type", r.gguf_type,
                                "--out-dtype", r.out_dtype};
  if (!r.adapter_dir.empty()) a.insert(a.end(), {"--adapter", r.adapter_dir.string()});
  if (r.merge_adapter) a.emplace_back("--merge-adapter");
  if (r.force) a.emplace_back("--force");
  const auto quant = base_quant_cli_args(r.quant, r.quant_group, r.quant_icq, r.quant_gptq);
  a.insert(a.end(), quant.begin(), quant.end());
  return a;
}

std::vector<std::string> export_formats() {
  std::vector<std::string> formats = {"irq", "peft", "merged", "gguf"};
  for (const auto& name : format_exporter_names()) formats.push_back(name);  // the formats' own (NF4: bnb-nf4)
  return formats;
}

std::string export_formats_text() { return join(export_formats(), ", ", " or "); }

int64_t run_export(const ExportRequest& r, ProgressSink* progress, const CancelToken* cancel) {
  const auto formats = export_formats();
  if (std::find(formats.begin(), formats.end(), r.format) == formats.end())
    throw make_error(ErrorKind::kUsage, "--format " + r.format, "expected " + export_formats_text());
  if (r.out.empty()) throw make_error(ErrorKind::kUsage, "export", "no output path");
  if (r.merge_adapter && (r.format != "irq" || r.adapter_dir.empty()))
    throw make_error(ErrorKind::kUsage, "--merge-adapter", "folds an adapter (--adapter DIR) into an INT base: use it with --format irq");
  const std::optional<DType> dtype_choice = parse_out_dtype(r.out_dtype);
  init_runtime();
  LoadOptions lo;
  lo.device = torch::kCPU;
  lo.dtype = torch::kFloat32;
  lo.require_tokenizer = r.format == "gguf";
  lo.cancel = cancel;
  nlohmann::json quant = nullptr;
  LoadedModel model;
  std::optional<ModelQuantOptions> adapter_quant;
  if (r.quant.empty() && !r.adapter_dir.empty()) adapter_quant = adapter_base_quant(r.adapter_dir);
  if (adapter_quant) {  // the adapter's own base, quantized on load
    ModelQuantOptions q = *adapter_quant;
    q.progress = progress;
    q.cancel = cancel;
    model = load_quantized(r.model_dir, lo, q);
  } else if (r.quant.empty()) {
    model = load_model(r.model_dir, lo);
  } else {
    ModelQuantOptions q;
    q.settings = QuantSettings::for_method(r.quant);
    q.settings.block_size = r.quant_group;
    q.settings.icq = r.quant_icq;
    q.settings.gptq = r.quant_gptq;
    q.progress = progress;
    q.cancel = cancel;
    ModelQuantStats stats;
    model = load_quantized(r.model_dir, lo, q, &stats);  // the full-precision model never exists
    std::fprintf(stderr, "%s base: entropy %.4f -> %.4f bits, SQNR %.2f dB, %.3f bits/weight\n", q.settings.label().c_str(),
                 stats.mean_entropy_plain, stats.mean_entropy, stats.sqnr_db, stats.bits_per_weight);
    quant = q.settings.to_json();
  }
  if (!r.adapter_dir.empty()) {
    const auto q = load_adapter(r.adapter_dir, model);
    if (quant.is_null()) quant = q;
  }
  const DType dtype = dtype_choice.value_or(source_float_dtype(model));
  const nlohmann::json config = {{"format", r.format}, {"out", fs::absolute(r.out).string()}, {"quant", quant},
                                 {"adapter", r.adapter_dir.empty() ? "" : fs::absolute(r.adapter_dir).string()},
                                 {"gguf_type", r.gguf_type}, {"out_dtype", dtype_name(dtype)}, {"merge_adapter", r.merge_adapter}};
  RunRecorder rec(r.db_path, "export", r.model_dir, config, "cpu");
  if (rec.db()) std::fprintf(stderr, "run %lld recorded in %s\n", static_cast<long long>(rec.id()), rec.db()->path().c_str());
  rec.record([&] {
    ExportOptions o;
    o.force = r.force;
    o.progress = progress;
    o.cancel = cancel;
    if (r.format == "irq") export_irq(model, r.out, o, r.merge_adapter);
    else if (r.format == "peft") export_peft(model, r.out, quant, o);
    else if (r.format == "merged") export_merged(model, r.out, dtype, o);
    else if (r.format == "gguf") export_gguf(model, r.out, gguf_type(r.gguf_type), o);
    else find_format_exporter(r.format)->run(model, r.out, dtype, o);
    rec.artifact("export-" + r.format, r.out);
  });
  return rec.id();
}

}  // namespace irq
