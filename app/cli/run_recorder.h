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
#include "runs/run_recorder.h"

namespace irq::cli {

std::vector<OptionSpec> record_options();
// The database --db / --no-record select (empty: do not record).
std::filesystem::path record_db_path(const ParsedArgs& args);

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
