// What a job tells its front end about the run it records, as it happens:
// the run's id, lines worth showing (the memory plan, the size of the work),
// every metric row and artifact exactly as the runs database receives them.
// The CLI prints the lines and streams the rest as --progress jsonl events;
// the workbench logs the lines. ReportedRun records and reports in one call,
// so the two never drift.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "runs/run_recorder.h"

namespace irq {

struct RunEvents {  // all optional, called on the job's thread
  std::function<void(int64_t run_id, const std::filesystem::path& db)> on_run;  // recorded as run_id
  std::function<void(const std::string&)> on_message;
  std::function<void(int64_t step, const std::map<std::string, double>&)> on_metrics;
  std::function<void(const std::string& kind, const std::filesystem::path&)> on_artifact;
};

// A RunRecorder whose metrics and artifacts also go to the events.
class ReportedRun {
 public:
  ReportedRun(const RunEvents& events, const std::filesystem::path& db_path, const std::string& kind,
              const std::filesystem::path& model_dir, const nlohmann::json& config, const std::string& device)
      : events_(events), rec_(db_path, kind, model_dir, config, device) {
    if (rec_.db() && events_.on_run) events_.on_run(rec_.id(), rec_.db()->path());
  }
  RunRecorder& recorder() { return rec_; }
  int64_t id() const { return rec_.id(); }
  void record(const std::function<void()>& body) { rec_.record(body); }
  void metrics(int64_t step, const std::map<std::string, double>& values) {
    rec_.metrics(step, values);
    if (events_.on_metrics) events_.on_metrics(step, values);
  }
  void artifact(const std::string& kind, const std::filesystem::path& path) {
    rec_.artifact(kind, path);
    if (events_.on_artifact) events_.on_artifact(kind, path);
  }

 private:
  const RunEvents& events_;
  RunRecorder rec_;
};

}  // namespace irq
