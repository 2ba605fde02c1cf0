// CLI run recording.
#include "cli/run_recorder.h"

#include <cmath>
#include <cstdio>

#include "cli/event_stream.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "quant/quant_stats.h"

namespace irq::cli {

std::vector<OptionSpec> record_options() {
  return {{"db", "PATH", "runs database (default $IRQ_RUNS_DB or ~/.local/share/irqlora/runs.sqlite)", ""},
          {"no-record", "", "do not record this run in the runs database", ""}};
}

std::filesystem::path record_db_path(const ParsedArgs& args) {
  if (args.flag("no-record")) return {};
  return args.has("db") ? std::filesystem::path(args.str("db")) : RunsDb::default_path();
}

namespace {
nlohmann::ordered_json run_field() {
  const int64_t id = events::run_id();
  return id >= 0 ? nlohmann::ordered_json(id) : nlohmann::ordered_json(nullptr);
}
}  // namespace

void announce_run(int64_t run_id, const std::filesystem::path& db) {
  std::fprintf(stderr, "run %lld recorded in %s\n", static_cast<long long>(run_id), db.c_str());
  events::set_run(run_id);
  events::emit("run", {{"run_id", run_id}, {"db", db.string()}});
}

void emit_metrics(int64_t step, const std::map<std::string, double>& values) {
  if (!events::enabled()) return;
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (const auto& [k, x] : values) v[k] = x;
  events::emit("metrics", {{"run_id", run_field()}, {"step", step}, {"values", v}});
}

void emit_artifact(const std::string& kind, const std::filesystem::path& path) {
  events::emit("artifact", {{"run_id", run_field()}, {"kind", kind}, {"path", std::filesystem::absolute(path).string()}});
}

RunEvents cli_run_events(ProgressBar* bar) {
  RunEvents e;
  e.on_run = [](int64_t id, const std::filesystem::path& db) { announce_run(id, db); };
  e.on_message = [bar](const std::string& line) {
    if (bar) bar->finish();
    std::fprintf(stderr, "%s\n", line.c_str());
  };
  e.on_metrics = [](int64_t step, const std::map<std::string, double>& values) { emit_metrics(step, values); };
  e.on_artifact = [](const std::string& kind, const std::filesystem::path& path) { emit_artifact(kind, path); };
  return e;
}

RunRecorder::RunRecorder(const ParsedArgs& args, const std::string& kind, const std::string& model_dir,
                         const nlohmann::json& config, const std::string& device)
    : rec_(record_db_path(args), kind, model_dir, config, device) {
  if (rec_.db()) announce_run(rec_.id(), rec_.db()->path());
}

void RunRecorder::metrics(int64_t step, const std::map<std::string, double>& values) {
  rec_.metrics(step, values);
  emit_metrics(step, values);
}

void RunRecorder::artifact(const std::string& kind, const std::filesystem::path& path) {
  rec_.artifact(kind, path);
  emit_artifact(kind, path);
}

void RunRecorder::layers(const ModelQuantStats& stats) {
  if (RunsDb* db = rec_.db()) db->add_quant_layers(rec_.id(), stats);
  emit_layers(stats);
}

void emit_layers(const ModelQuantStats& stats) {
  if (!events::enabled()) return;
  auto number = [](double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr); };
  for (const auto& l : stats.layers) {
    const LayerRow r = layer_row(l);
    events::emit("layer", {{"run_id", run_field()}, {"name", r.name}, {"numel", r.numel}, {"entropy_plain", number(r.entropy_plain)},
                           {"entropy", number(r.entropy)}, {"mse", number(r.mse)}, {"sqnr_db", number(r.sqnr_db)},
                           {"bits_per_weight", number(r.bits_per_weight)}, {"offset_spread", number(r.offset_spread)}});
  }
}

void RunRecorder::subjects(const std::vector<SubjectScore>& scores) {
  if (RunsDb* db = rec_.db()) db->add_mmlu(rec_.id(), scores);
  for (const auto& s : scores)
    events::emit("subject", {{"run_id", run_field()}, {"subject", s.subject}, {"correct", s.correct}, {"total", s.total}});
}

int RunRecorder::record(const std::function<int()>& body) {
  int rc = 0;
  rec_.record([&] { rc = body(); });  // finished / failed / cancelled from exceptions
  if (rc != 0) rec_.finish("failed", "exit code " + std::to_string(rc));
  return rc;
}

}  // namespace irq::cli
