// run_remote: a child process (ssh or the local CLI) followed through its
// --progress jsonl stream; see remote_job.h.
#include "jobs/remote_job.h"

#include <signal.h>

#include <chrono>
#include <deque>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "runs/run_recorder.h"
#include "runs/runs_db.h"

namespace irq {

namespace {

// A number field of an event; NaN where the CLI wrote null (not finite) or
// left it out.
double number_or_nan(const nlohmann::json& e, const char* key) {
  return e.contains(key) && e[key].is_number() ? e[key].get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0, sp;
  while ((sp = s.find(' ', start)) != std::string::npos) {
    if (sp > start) out.push_back(s.substr(start, sp - start));
    start = sp + 1;
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

// One followed run: the events of the child's stderr applied as they come.
class Follower {
 public:
  Follower(const RemoteRequest& r, RunRecorder& rec, RemoteOutcome& out, ProgressSink* progress, const RemoteMetrics& on_metrics)
      : r_(r), rec_(rec), out_(out), progress_(progress), on_metrics_(on_metrics) {}

  void line(int stream, const std::string& text) {
    if (stream != 2 || text.rfind("{\"event\":", 0) != 0) {
      if (stream == 2) {  // kept for an error without a result event
        tail_.push_back(text);
        if (tail_.size() > 8) tail_.pop_front();
      }
      return;
    }
    const auto e = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!e.is_object()) return;
    const std::string event = e.value("event", "");
    if (event == "start") {
      remote_pid_ = e.value("pid", int64_t{-1});
    } else if (event == "run") {
      out_.remote_run_id = e.value("run_id", int64_t{-1});
      if (RunsDb* db = rec_.db())  // where the host keeps its own record of this run
        db->add_artifact(rec_.id(), "remote-run",
                         r_.host + ":" + e.value("db", std::string()) + "#" + std::to_string(out_.remote_run_id));
    } else if (event == "progress" && progress_) {
      const auto total = e.contains("total") && e["total"].is_number() ? e["total"].get<int64_t>() : 0;
      progress_->progress(e.value("stage", std::string("remote")), e.value("done", int64_t{0}), total);
    } else if (event == "message" && progress_) {
      progress_->message(e.value("text", std::string()));
    } else if (event == "metrics" && e.contains("values") && e["values"].is_object()) {
      std::map<std::string, double> values;
      for (const auto& [k, v] : e["values"].items())
        if (v.is_number()) values[k] = v.get<double>();
      const int64_t step = e.value("step", int64_t{0});
      rec_.metrics(step, values);
      for (const auto& [k, v] : values) out_.last_metrics[k] = v;
      if (on_metrics_) on_metrics_(step, values);
    } else if (event == "layer") {
      auto number = [&](const char* key) { return number_or_nan(e, key); };
      out_.layers.push_back({e.value("name", std::string()), e.value("numel", int64_t{0}), number("entropy_plain"), number("entropy"),
                             number("mse"), number("sqnr_db"), number("bits_per_weight"), number("offset_spread")});
    } else if (event == "subject") {
      out_.subjects.push_back({e.value("subject", std::string()), e.value("correct", int64_t{0}), e.value("total", int64_t{0})});
    } else if (event == "task") {
      auto number = [&](const char* key) { return number_or_nan(e, key); };
      TaskScore s;
      s.n = e.value("n", int64_t{0});
      s.acc = number("acc");
      s.acc_stderr = number("acc_stderr");
      s.has_acc_norm = e.contains("acc_norm") && e["acc_norm"].is_number();
      if (s.has_acc_norm) {
        s.acc_norm = number("acc_norm");
        s.acc_norm_stderr = number("acc_norm_stderr");
      }
      out_.tasks.emplace_back(e.value("task", std::string()), s);
    } else if (event == "window") {
      out_.windows.emplace_back(e.value("tokens", int64_t{0}), number_or_nan(e, "nll"));
    } else if (event == "artifact") {
      const std::string kind = e.value("kind", std::string("artifact")), path = e.value("path", std::string());
      out_.artifacts.emplace_back(kind, path);
      if (RunsDb* db = rec_.db()) db->add_artifact(rec_.id(), kind, r_.host + ":" + path);
    } else if (event == "result") {
      result_ = true;
      out_.exit_code = e.value("exit_code", -1);
      if (e.contains("error") && e["error"].is_string()) error_ = e["error"].get<std::string>();
    }
  }

  int64_t remote_pid() const { return remote_pid_; }
  bool has_result() const { return result_; }
  const std::string& error() const { return error_; }
  std::string tail() const {
    std::string s;
    for (const auto& l : tail_) s += (s.empty() ? "" : " | ") + l;
    return s;
  }

 private:
  const RemoteRequest& r_;
  RunRecorder& rec_;
  RemoteOutcome& out_;
  ProgressSink* progress_;
  const RemoteMetrics& on_metrics_;
  int64_t remote_pid_ = -1;
  bool result_ = false;
  std::string error_;
  std::deque<std::string> tail_;
};

// SIGTERM to the remote CLI by its pid (through the launcher), then to the client.
void stop(const RemoteRequest& r, ChildProcess& child, int64_t remote_pid) {
  if (remote_pid > 0 && !r.launcher.empty()) {
    std::vector<std::string> kill = r.launcher;
    kill.push_back("kill -TERM " + std::to_string(remote_pid));
    try {
      ChildProcess k(kill);
      k.wait();
    } catch (const Error&) {
      // the client's own SIGTERM below still ends the session
    }
  }
  child.signal(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (child.read_lines(100, [](int, const std::string&) {}))
    if (std::chrono::steady_clock::now() > deadline) child.signal(SIGKILL);
  child.wait();
}

}  // namespace

std::string shell_quote(const std::string& word) {
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::vector<std::string> remote_command(const RemoteRequest& r) {
  std::vector<std::string> words = {r.program};
  for (auto& w : split_words(r.verb)) words.push_back(std::move(w));
  words.insert(words.end(), r.args.begin(), r.args.end());
  words.emplace_back("--progress");
  words.emplace_back("jsonl");
  if (r.launcher.empty()) return words;  // this machine: an argument vector, no shell
  // ssh hands its command to the remote user's shell as one string: each
  // word single-quoted, so a path with spaces, quotes or $ stays one word.
  std::string command;
  for (const auto& w : words) command += (command.empty() ? "" : " ") + shell_quote(w);
  std::vector<std::string> argv = r.launcher;
  argv.push_back(command);
  return argv;
}

RemoteOutcome run_remote(const RemoteRequest& r, ProgressSink* progress, const CancelToken* cancel, const RemoteMetrics& on_metrics) {
  if (r.verb.empty()) throw make_error(ErrorKind::kUsage, "remote job", "no verb");
  const auto argv = remote_command(r);
  const std::string where = "remote " + r.host;
  const nlohmann::json config = {{"remote", {{"host", r.host}, {"command", argv}}}};
  std::string kind;  // the verb as the runs database names kinds: "eval mmlu" -> "eval-mmlu"
  for (const auto& w : split_words(r.verb)) kind += (kind.empty() ? "" : "-") + w;
  RunRecorder rec(r.db_path, kind, r.model_dir, config, "remote:" + r.host);
  RemoteOutcome out;
  out.run_id = rec.id();
  rec.record([&] {
    ChildProcess child(argv);
    Follower follow(r, rec, out, progress, on_metrics);
    const auto on_line = [&](int stream, const std::string& text) { follow.line(stream, text); };
    while (child.read_lines(100, on_line)) {
      if (cancel && cancel->cancelled()) {
        stop(r, child, follow.remote_pid());
        cancel->throw_if_cancelled(where + ": " + r.verb);
      }
    }
    const int code = child.wait();
    if (!follow.has_result())
      throw make_error(error_kind(code), where,
                       "'" + argv.front() + "' ended (exit code " + std::to_string(code) + ") without a result" +
                           (follow.tail().empty() ? std::string() : ": " + follow.tail()));
    if (out.exit_code != 0)
      throw make_error(error_kind(out.exit_code), where + ": irqlora " + r.verb,
                       follow.error().empty() ? "exit code " + std::to_string(out.exit_code) : follow.error());
    if (RunsDb* db = rec.db(); db && !out.layers.empty()) db->add_quant_layers(out.run_id, out.layers);
    if (RunsDb* db = rec.db(); db && !out.subjects.empty()) db->add_mmlu(out.run_id, out.subjects);
  });
  return out;
}

}  // namespace irq
