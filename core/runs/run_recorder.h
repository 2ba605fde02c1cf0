// One recorded run in the runs database, shared by the CLI verbs and the
// workbench's jobs: started when constructed (model path, fingerprint, config,
// device), then marked finished, failed (with the error) or cancelled by
// record(). With an empty database path it records nothing.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "runs/runs_db.h"

namespace irq {

class RunRecorder {
 public:
  RunRecorder(const std::filesystem::path& db_path, const std::string& kind, const std::filesystem::path& model_dir,
              const nlohmann::json& config, const std::string& device);
  RunsDb* db() { return db_.get(); }  // null when not recording
  int64_t id() const { return id_; }  // -1 when not recording
  // Runs `body`; marks the run finished, or failed/cancelled and rethrows.
  void record(const std::function<void()>& body);
  void finish(const std::string& status, const std::string& error = "");
  // No-ops when not recording. Artifact paths are made absolute.
  void metrics(int64_t step, const std::map<std::string, double>& values);
  void artifact(const std::string& kind, const std::filesystem::path& path);

 private:
  std::unique_ptr<RunsDb> db_;
  int64_t id_ = -1;
};

}  // namespace irq
