// Run recording (see run_recorder.h).
#include "runs/run_recorder.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace fs = std::filesystem;

namespace irq {

RunRecorder::RunRecorder(const fs::path& db_path, const std::string& kind, const fs::path& model_dir, const nlohmann::json& config,
                         const std::string& device) {
  if (db_path.empty()) return;
  db_ = std::make_unique<RunsDb>(db_path);
  std::string hash;
  try {
    hash = model_fingerprint(model_dir);
  } catch (const std::exception&) {
    hash.clear();  // a folder without a fingerprintable checkpoint is still recorded
  }
  id_ = db_->start_run(kind, fs::absolute(model_dir).string(), hash, config.dump(), device);
}

void RunRecorder::record(const std::function<void()>& body) {
  try {
    body();
    finish("finished");
  } catch (const Error& e) {
    finish(e.kind() == ErrorKind::kCancelled ? "cancelled" : "failed", e.what());
    throw;
  } catch (const std::exception& e) {
    finish("failed", e.what());
    throw;
  }
}

void RunRecorder::finish(const std::string& status, const std::string& error) {
  if (db_) db_->finish_run(id_, status, error);
}

void RunRecorder::metrics(int64_t step, const std::map<std::string, double>& values) {
  if (db_) db_->add_metrics(id_, step, values);
}

void RunRecorder::artifact(const std::string& kind, const fs::path& path) {
  if (db_) db_->add_artifact(id_, kind, fs::absolute(path).string());
}

}  // namespace irq
