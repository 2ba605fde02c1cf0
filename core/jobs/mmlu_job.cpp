// MMLU runs for the workbench (see mmlu_job.h).
#include "jobs/mmlu_job.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "eval/mmlu_data.h"
#include "eval/mmlu_eval.h"
#include "jobs/cli_words.h"
#include "jobs/eval_model.h"
#include "runs/run_recorder.h"

namespace fs = std::filesystem;

namespace irq {

std::vector<std::string> validate(const MmluRequest& r) {
  std::vector<std::string> out;
  validate(r.model, out);
  std::error_code ec;
  if (r.data_dir.empty() || !fs::is_directory(r.data_dir / "test", ec))
    out.push_back("data: choose the MMLU data folder (with dev/ and test/ CSVs)");
  if (r.shots < 0 || r.shots > 5) out.push_back("shots: must be between 0 and 5");
  return out;
}

std::vector<std::string> mmlu_cli_args(const MmluRequest& r) {
  auto a = eval_model_cli_args(r.model, "eval mmlu");
  a.insert(a.end(), {"--data", r.data_dir.string(), "--shots", std::to_string(r.shots)});
  const auto subjects = cli_list_args("--subjects", r.subjects);
  a.insert(a.end(), subjects.begin(), subjects.end());
  return a;
}

MmluOutcome mmlu_outcome(const std::vector<SubjectScore>& subjects) {
  MmluOutcome out;
  std::map<std::string, Tally> subcategories, categories;
  for (const auto& s : subjects) {
    const Tally t{s.correct, s.total};
    out.subjects[s.subject] = {s.correct, s.total};
    out.overall.correct += s.correct;
    out.overall.total += s.total;
    add_to_groups(s.subject, t, MmluCategories::builtin(), &subcategories, &categories);
  }
  for (const auto& [k, t] : categories) out.categories[k] = {t.correct, t.total};
  return out;
}

MmluOutcome run_mmlu(const MmluRequest& r, ProgressSink* progress, const CancelToken* cancel, EvalModel* preloaded) {
  if (const auto problems = validate(r); !problems.empty()) throw make_error(ErrorKind::kUsage, "eval mmlu", problems.front());
  const auto subjects = load_mmlu(r.data_dir, "test", r.subjects);
  std::optional<EvalModel> own;
  EvalModel& m = preloaded ? *preloaded : own.emplace(load_eval_model(r.model, cancel));
  auto& loaded = m.loaded;
  const nlohmann::json& quant = m.quant;
  std::string subjects_list;
  for (const auto& s : r.subjects) subjects_list += (subjects_list.empty() ? "" : ",") + s;
  const nlohmann::json config = {{"data", r.data_dir.string()}, {"shots", r.shots}, {"split", "test"}, {"subjects", subjects_list},
                                 {"quant", quant}, {"adapter", r.model.adapter_dir.string()}, {"front_end", r.front_end}};
  RunRecorder rec(r.db_path, "eval-mmlu", r.model.model_dir, config, loaded.model->options().device().str());
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
