// CLI run recording.
#include "cli/run_recorder.h"

#include <cstdio>

#include "common/error.h"

namespace irq::cli {

std::vector<OptionSpec> record_options() {
  return {{"db", "PATH", "runs database (default $IRQ_RUNS_DB or ~/.local/share/irqlora/runs.sqlite)", ""},
          {"no-record", "", "do not record this run in the runs database", ""}};
}

RunRecorder::RunRecorder(const ParsedArgs& args, const std::string& kind, const std::string& model_dir,
                         const nlohmann::json& config, const std::string& device) {
  if (args.flag("no-record")) return;
  db_ = std::make_unique<RunsDb>(args.has("db") ? std::filesystem::path(args.str("db")) : RunsDb::default_path());
  std::string hash;
  try {
    hash = model_fingerprint(model_dir);
  } catch (const std::exception&) {
    hash = "";
  }
  id_ = db_->start_run(kind, std::filesystem::absolute(model_dir).string(), hash, config.dump(), device);
  std::fprintf(stderr, "run %lld recorded in %s\n", static_cast<long long>(id_), db_->path().c_str());
}

int RunRecorder::record(const std::function<int()>& body) {
  try {
    const int rc = body();
    if (db_) db_->finish_run(id_, rc == 0 ? "finished" : "failed", rc == 0 ? "" : "exit code " + std::to_string(rc));
    return rc;
  } catch (const Error& e) {
    if (db_) db_->finish_run(id_, e.kind() == ErrorKind::kCancelled ? "cancelled" : "failed", e.what());
    throw;
  } catch (const std::exception& e) {
    if (db_) db_->finish_run(id_, "failed", e.what());
    throw;
  }
}

void RunRecorder::metrics(int64_t step, const std::map<std::string, double>& values) {
  if (db_) db_->add_metrics(id_, step, values);
}

void RunRecorder::artifact(const std::string& kind, const std::filesystem::path& path) {
  if (db_) db_->add_artifact(id_, kind, std::filesystem::absolute(path).string());
}

}  // namespace irq::cli
