// A job run by the irqlora CLI in another process, usually on another host
// through the system ssh client: launcher + program + verb + args +
// `--progress jsonl` (e.g. {"ssh", "-o", "BatchMode=yes", "gpu1"} + "irqlora"
// + "finetune" + ...; an empty launcher runs the program here, which the
// tests use as a fake remote). The command's event stream (the CLI's
// app/cli/event_stream.h) drives the same ProgressSink and metrics as a
// local job, and the run is recorded in the local runs database: device
// "remote:HOST", the command in its config, every metrics event, a
// quantize pass's per-layer statistics (its "layer" events), MMLU's
// per-subject scores ("subject" events), the zero-shot tasks' scores and
// perplexity's windows ("task", "window"), the
// artifacts as HOST:PATH, and the host's own record of the run as a
// "remote-run" artifact (HOST:DATABASE#ID). Cancel sends SIGTERM to the
// remote CLI (through the launcher, by the pid of its start event) and
// then to the local client; the run is recorded as cancelled.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/progress.h"
#include "eval/task_results.h"
#include "runs/runs_db.h"

namespace irq {

struct RemoteRequest {
  std::vector<std::string> launcher;  // how to reach the host; empty: this machine
  std::string program = "irqlora";    // the CLI there
  std::string host = "localhost";     // its name in the record
  std::string verb;                   // "finetune", "eval mmlu", ...
  std::vector<std::string> args;      // the verb's arguments and options
  std::string model_dir;              // for the record: an absolute path on the host
  std::filesystem::path db_path;      // local runs database; empty: do not record
};

struct RemoteOutcome {
  int exit_code = -1;
  int64_t run_id = -1;         // local record
  int64_t remote_run_id = -1;  // the run in the remote CLI's own database, if it recorded one
  std::vector<std::pair<std::string, std::string>> artifacts;  // kind, path on the host
  std::map<std::string, double> last_metrics;
  std::vector<LayerRow> layers;  // quantize: the per-layer statistics of its "layer" events (recorded here too)
  std::vector<SubjectScore> subjects;  // eval mmlu: its "subject" events (recorded here too)
  std::vector<std::pair<std::string, TaskScore>> tasks;  // eval tasks: its "task" events, in order
  std::vector<std::pair<int64_t, double>> windows;       // eval ppl: (tokens, summed nll) of each "window" event
};

// The full argv that run_remote starts: with a launcher, the CLI's words go
// as one string of single-quoted words (what ssh gives the remote shell).
std::vector<std::string> remote_command(const RemoteRequest& r);
// 'word' for a POSIX shell (a ' inside becomes '\'').
std::string shell_quote(const std::string& word);

using RemoteMetrics = std::function<void(int64_t step, const std::map<std::string, double>& values)>;

// Runs the request to its end. Throws Error: the remote CLI's error and exit
// code (kind from the exit code), a command that ended without a result
// event (with its last stderr lines: an ssh failure, a missing CLI), or
// kCancelled. The local record is finished, failed or cancelled accordingly.
RemoteOutcome run_remote(const RemoteRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                         const RemoteMetrics& on_metrics = {});

}  // namespace irq
