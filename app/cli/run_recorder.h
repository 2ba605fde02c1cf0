// Records a CLI run in the runs database (--db PATH, default RunsDb's path;
// --no-record skips it) through the engine's irq::RunRecorder; record() maps
// a verb's exit code to finished/failed.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "jobs/run_events.h"
#include "runs/run_recorder.h"

namespace irq::cli {

std::vector<OptionSpec> record_options();
// The database --db / --no-record select (empty: do not record).
std::filesystem::path record_db_path(const ParsedArgs& args);

// What the CLI says of a run a job records itself (jobs/finetune_job.h):
// "run N recorded in DB" and the --progress jsonl events of its id, metrics
// and artifacts (artifact paths made absolute).
void announce_run(int64_t run_id, const std::filesystem::path& db);
void emit_metrics(int64_t step, const std::map<std::string, double>& values);
void emit_artifact(const std::string& kind, const std::filesystem::path& path);
// A quantize pass's per-layer rows as "layer" events (the job records them).
void emit_layers(const ModelQuantStats& stats);
class ProgressBar;
// A job's events as the CLI shows them: the run announced, lines on stderr
// (after ending `bar`'s line, when given), metrics and artifacts as events.
RunEvents cli_run_events(ProgressBar* bar = nullptr);

class RunRecorder {
 public:
  RunRecorder(const ParsedArgs& args, const std::string& kind, const std::string& model_dir, const nlohmann::json& config,
              const std::string& device);
  RunsDb* db() { return rec_.db(); }  // null with --no-record
  int64_t id() const { return rec_.id(); }
  // Runs `body`; marks the run finished, or failed/cancelled and rethrows.
  int record(const std::function<int()>& body);
  // Record into this run; no-ops with --no-record. Artifact paths are made absolute.
  // Also events of --progress jsonl (cli/event_stream.h), recorded or not.
  void metrics(int64_t step, const std::map<std::string, double>& values);
  void artifact(const std::string& kind, const std::filesystem::path& path);
  // A quantize pass's per-layer statistics: recorded, and one "layer" event each.
  void layers(const ModelQuantStats& stats);
  // MMLU per subject: recorded, and one "subject" event each.
  void subjects(const std::vector<SubjectScore>& scores);

 private:
  irq::RunRecorder rec_;
};

}  // namespace irq::cli
