// The MMLU job (see mmlu_job.h).
#include "jobs/mmlu_job.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "eval/mmlu_data.h"
#include "eval/mmlu_eval.h"
#include "jobs/cli_words.h"
#include "jobs/eval_model.h"
#include "jobs/job_problems.h"
#include "jobs/memory_check.h"
#include "runtime/runtime.h"

namespace fs = std::filesystem;

namespace irq {

std::vector<std::string> validate(const MmluRequest& r) {
  std::vector<std::string> out;
  validate(r.model, out);
  // The folder itself is the loader's to check: its errors name the file.
  if (r.data_dir.empty()) out.push_back("data: choose the MMLU data folder (with dev/ and test/ CSVs)");
  if (r.shots < 0 || r.shots > 5) out.push_back("shots: must be between 0 and 5 (the dev split has 5 per subject)");
  if (r.split != "test" && r.split != "val") out.push_back("split: '" + r.split + "' is not test or val");
  if (r.limit < 0) out.push_back("limit: must be >= 0 (0: every question)");
  if (r.max_tokens < 16) out.push_back("max_tokens: must be at least 16");
  if (r.batch < 0) out.push_back("batch: must be >= 0 (0: 4 on CPU, 16 on CUDA)");
  return out;
}

std::vector<std::string> mmlu_cli_args(const MmluRequest& r) {
  auto a = eval_model_cli_args(r.model, "eval mmlu");
  a.insert(a.end(), {"--data", r.data_dir.string(), "--shots", std::to_string(r.shots), "--split", r.split, "--limit",
                     std::to_string(r.limit), "--max-tokens", std::to_string(r.max_tokens), "--batch", std::to_string(r.batch)});
  const auto subjects = cli_list_args("--subjects", r.subjects);
  a.insert(a.end(), subjects.begin(), subjects.end());
  if (!r.shared_header) a.emplace_back("--full-prompts");
  if (!r.results_json.empty()) a.insert(a.end(), {"--out", r.results_json.string()});
  if (!r.answers_csv.empty()) a.insert(a.end(), {"--answers", r.answers_csv.string()});
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

MmluOutcome run_mmlu(const MmluRequest& r, ProgressSink* progress, const CancelToken* cancel, EvalModel* preloaded,
                     const RunEvents& events) {
  throw_if_problems("eval mmlu", validate(r));
  const auto say = [&](const std::string& line) {
    if (events.on_message) events.on_message(line);
  };
  auto subjects = load_mmlu(r.data_dir, r.split, r.subjects);
  int64_t questions = 0;
  for (auto& s : subjects) {
    if (r.limit > 0 && static_cast<int64_t>(s.test.size()) > r.limit) s.test.resize(static_cast<size_t>(r.limit));
    questions += static_cast<int64_t>(s.test.size());
  }
  // The size of the work before any of it starts.
  say("MMLU: " + std::to_string(questions) + " questions in " + std::to_string(subjects.size()) + " subjects, " +
      std::to_string(r.shots) + "-shot" + (r.limit > 0 ? " (--limit " + std::to_string(r.limit) + " per subject)" : ""));
  std::optional<EvalModel> own;
  if (!preloaded) {  // the predicted peak before anything is loaded; refused when the GPU is too small
    const auto device = parse_device(r.model.device);
    MemoryPlanRequest plan;
    plan.model_dir = r.model.model_dir;
    plan.quant = r.model.settings ? r.model.settings->method : r.model.quant;
    plan.quant_group = r.model.settings ? r.model.settings->block_size : r.model.quant_group;
    plan.icq = r.model.settings ? r.model.settings->icq : r.model.icq;
    plan.dtype_bytes = compute_dtype_bytes(r.model.dtype, device);
    plan.eval_batch = r.batch > 0 ? r.batch : device.is_cuda() ? 16 : 4;
    plan.eval_seq = r.max_tokens;
    plan.targets = {};  // the adapter, if any, is small beside the base
    check_memory_plan(plan, device, "eval", events.on_message);
    ModelQuantStats stats;
    own.emplace(load_eval_model(r.model, cancel, progress, &stats));
    if (!own->quant.is_null() && stats.numel > 0) say(stats.summary());
  }
  EvalModel& m = preloaded ? *preloaded : *own;
  auto& loaded = m.loaded;
  std::string subjects_list;
  for (const auto& s : r.subjects) subjects_list += (subjects_list.empty() ? "" : ",") + s;
  nlohmann::json config = {{"data", r.data_dir.string()},  {"shots", r.shots},       {"split", r.split},
                           {"max_tokens", r.max_tokens},   {"subjects", subjects_list}, {"shared_header", r.shared_header},
                           {"quant", m.quant},             {"front_end", r.front_end}};
  if (r.limit > 0) config["limit"] = r.limit;
  if (!r.model.adapter_dir.empty()) config["adapter"] = fs::absolute(r.model.adapter_dir).string();
  if (r.model.requantize_n > 0) config["requantize_n"] = r.model.requantize_n;
  ReportedRun rec(events, r.db_path, "eval-mmlu", r.model.model_dir, config, loaded.model->options().device().str());
  MmluOutcome out;
  out.run_id = rec.id();
  rec.record([&] {
    MmluOptions o;
    o.shots = r.shots;
    o.max_tokens = r.max_tokens;
    o.batch = r.batch;
    o.shared_header = r.shared_header;
    o.progress = progress;
    o.cancel = cancel;
    const auto res = evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, MmluCategories::builtin(), o);
    for (const auto& [k, t] : res.categories) out.categories[k] = {t.correct, t.total};
    for (const auto& [k, t] : res.subjects) out.subjects[k] = {t.correct, t.total};
    out.overall = {res.overall.correct, res.overall.total};
    out.seconds = res.seconds;
    out.token_limit = res.limit;
    if (!r.results_json.empty()) write_text_atomic(r.results_json, to_json(res).dump(2) + "\n");
    if (!r.answers_csv.empty()) write_answers_csv(r.answers_csv, res);
    if (RunsDb* db = rec.recorder().db()) {
      std::vector<SubjectScore> scores;
      for (const auto& [s, t] : res.subjects) scores.push_back({s, t.correct, t.total});
      db->add_mmlu(out.run_id, scores);
    }
    std::map<std::string, double> metrics = {{"mmlu_accuracy", res.overall.accuracy()},
                                             {"questions_per_second", res.seconds > 0 ? res.overall.total / res.seconds : 0.0}};
    for (const auto& [cat, t] : res.categories) metrics["mmlu_" + cat] = t.accuracy();
    rec.metrics(0, metrics);
    if (!r.results_json.empty()) rec.artifact("mmlu-results", r.results_json);
    if (!r.answers_csv.empty()) rec.artifact("mmlu-answers", r.answers_csv);
  });
  return out;
}

}  // namespace irq
