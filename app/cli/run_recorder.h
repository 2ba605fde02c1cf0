// Records a CLI run in the runs database (--db PATH, default RunsDb's path;
// --no-record skips it): started when constructed, then finished, failed
// (with the error) or cancelled by record().
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "runs/runs_db.h"

namespace irq::cli {

std::vector<OptionSpec> record_options();

class RunRecorder {
 public:
  RunRecorder(const ParsedArgs& args, const std::string& kind, const std::string& model_dir, const nlohmann::json& config,
              const std::string& device);
  RunsDb* db() { return db_.get(); }  // null with --no-record
  int64_t id() const { return id_; }
  // Runs `body`; marks the run finished, or failed/cancelled and rethrows.
  int record(const std::function<int()>& body);
  // Record into this run; no-ops with --no-record. Artifact paths are made absolute.
  void metrics(int64_t step, const std::map<std::string, double>& values);
  void artifact(const std::string& kind, const std::filesystem::path& path);

 private:
  std::unique_ptr<RunsDb> db_;
  int64_t id_ = 0;
};

}  // namespace irq::cli
