// CLI run recording.
#include "cli/run_recorder.h"

#include <cstdio>

#include "common/error.h"

namespace irq::cli {

std::vector<OptionSpec> record_options() {
  return {{"db", "PATH", "runs database (default $IRQ_RUNS_DB or ~/.local/share/irqlora/runs.sqlite)", ""},
          {"no-record", "", "do not record this run in the runs database", ""}};
}

std::filesystem::path record_db_path(const ParsedArgs& args) {
  if (args.flag("no-record")) return {};
  return args.has("db") ? std::filesystem::path(args.str("db")) : RunsDb::default_path();
}

RunRecorder::RunRecorder(const ParsedArgs& args, const std::string& kind, const std::string& model_dir,
                         const nlohmann::json& config, const std::string& device)
    : rec_(record_db_path(args), kind, model_dir, config, device) {
  if (rec_.db()) std::fprintf(stderr, "run %lld recorded in %s\n", static_cast<long long>(rec_.id()), rec_.db()->path().c_str());
}

int RunRecorder::record(const std::function<int()>& body) {
  int rc = 0;
  rec_.record([&] { rc = body(); });  // finished / failed / cancelled from exceptions
  if (rc != 0) rec_.finish("failed", "exit code " + std::to_string(rc));
  return rc;
}

}  // namespace irq::cli
