// MMLU runs for the workbench (see mmlu_job.h).
#include "jobs/mmlu_job.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "eval/mmlu_data.h"
#include "eval/mmlu_eval.h"
#include "model/model_loader.h"
#include "quant/load_quantized.h"
#include "quant/quantize_model.h"
#include "runs/run_recorder.h"
#include "runtime/runtime.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace irq {

std::vector<std::string> validate(const MmluRequest& r) {
  std::vector<std::string> out;
  std::error_code ec;
  if (r.model_dir.empty() || !fs::exists(r.model_dir / "config.json", ec)) out.push_back("open a model first (no config.json)");
  if (r.data_dir.empty() || !fs::is_directory(r.data_dir / "test", ec))
    out.push_back("choose the MMLU data folder (with dev/ and test/ CSVs)");
  if (r.shots < 0 || r.shots > 5) out.push_back("shots must be between 0 and 5");
  if (!r.adapter_dir.empty() && !fs::exists(r.adapter_dir / "adapter_config.json", ec))
    out.push_back("adapter folder " + r.adapter_dir.string() + " has no adapter_config.json");
  try {
    parse_device(r.device);
  } catch (const Error& e) {
    out.push_back(e.what());
  }
  return out;
}

MmluOutcome run_mmlu(const MmluRequest& r, ProgressSink* progress, const CancelToken* cancel) {
  if (const auto problems = validate(r); !problems.empty()) throw make_error(ErrorKind::kUsage, "eval mmlu", problems.front());
  init_runtime();
  const auto subjects = load_mmlu(r.data_dir, "test", r.subjects);
  LoadOptions lo;
  lo.device = parse_device(r.device);
  lo.require_tokenizer = true;
  lo.cancel = cancel;
  nlohmann::json quant = nullptr;
  ModelQuantOptions q;
  if (!r.quant.empty()) {
    q.settings = QuantSettings::for_method(r.quant);
    quant = q.settings.to_json();
  }
  // Quantize on load: the full-precision model never exists.
  bool quantize = !r.quant.empty();
  if (!quantize && !r.adapter_dir.empty())  // the adapter's own base, quantized on load (load_adapter checks it)
    if (const auto base = adapter_base_quant(r.adapter_dir)) {
      q = *base;
      quantize = true;
    }
  auto loaded = quantize ? load_quantized(r.model_dir, lo, q) : load_model(r.model_dir, lo);
  if (!r.adapter_dir.empty()) {
    const auto q = load_adapter(r.adapter_dir, loaded);
    if (quant.is_null()) quant = q;
  }
  std::string subjects_list;
  for (const auto& s : r.subjects) subjects_list += (subjects_list.empty() ? "" : ",") + s;
  const nlohmann::json config = {{"data", r.data_dir.string()}, {"shots", r.shots}, {"split", "test"}, {"subjects", subjects_list},
                                 {"quant", quant}, {"adapter", r.adapter_dir.string()}, {"front_end", "workbench"}};
  RunRecorder rec(r.db_path, "eval-mmlu", r.model_dir, config, lo.device.str());
  MmluOutcome out;
  out.run_id = rec.id();
  rec.record([&] {
    MmluOptions o;
    o.shots = r.shots;
    o.progress = progress;
    o.cancel = cancel;
    const auto res = evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, MmluCategories::builtin(), o);
    for (const auto& [k, t] : res.categories) out.categories[k] = {t.correct, t.total};
    for (const auto& [k, t] : res.subjects) out.subjects[k] = {t.correct, t.total};
    out.overall = {res.overall.correct, res.overall.total};
    out.seconds = res.seconds;
    if (RunsDb* db = rec.db()) {
      std::vector<SubjectScore> scores;
      for (const auto& [s, t] : res.subjects) scores.push_back({s, t.correct, t.total});
      db->add_mmlu(out.run_id, scores);
    }
    std::map<std::string, double> metrics = {{"mmlu_accuracy", res.overall.accuracy()}};
    for (const auto& [cat, t] : res.categories) metrics["mmlu_" + cat] = t.accuracy();
    rec.metrics(0, metrics);
  });
  return out;
}

}  // namespace irq
