// `--progress jsonl`: JSON lines on stderr (see event_stream.h).
#include "cli/event_stream.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

namespace irq::cli::events {

namespace {

using Clock = std::chrono::steady_clock;

struct State {
  std::mutex mutex;
  bool on = false;
  int64_t run = -1;
  bool announce = true;  // start and result events (off for rank 0 under the local launcher)
  Clock::time_point started = Clock::now();
  struct Stage {
    Clock::time_point start, last;
  };
  std::map<std::string, Stage> stages;
};

State& state() {
  static State s;
  return s;
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void write_locked(const std::string& event, const nlohmann::ordered_json& fields) {
  nlohmann::ordered_json line = {{"event", event}};
  for (const auto& [k, v] : fields.items()) line[k] = v;
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

bool enabled() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().on;
}

void enable(const std::string& verb, bool announce) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.on = true;
  s.announce = announce;
  s.started = Clock::now();
  if (!announce) return;
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  write_locked("start", {{"verb", verb}, {"pid", static_cast<int64_t>(::getpid())}, {"host", host}});
}

void emit(const std::string& event, const nlohmann::ordered_json& fields) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.on) write_locked(event, fields);
}

void progress(const std::string& stage, int64_t done, int64_t total) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.on) return;
  const auto now = Clock::now();
  auto [it, first] = s.stages.try_emplace(stage, State::Stage{now, now});
  const bool last = total > 0 && done >= total;
  if (!first && !last && now - it->second.last < std::chrono::milliseconds(100)) return;
  it->second.last = now;
  const double elapsed = since(it->second.start);
  nlohmann::ordered_json f = {{"stage", stage}, {"done", done}, {"total", total}, {"elapsed_s", elapsed}};
  f["eta_s"] = total > 0 && done > 0 ? nlohmann::ordered_json(elapsed * static_cast<double>(total - done) / static_cast<double>(done))
                                     : nlohmann::ordered_json(nullptr);
  write_locked("progress", f);
}

void set_run(int64_t run_id) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().run = run_id;
}

int64_t run_id() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().run;
}

void result(int exit_code, const std::string& error) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.on || !s.announce) return;
  write_locked("result", {{"exit_code", exit_code},
                          {"error", error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(error)},
                          {"run_id", s.run >= 0 ? nlohmann::ordered_json(s.run) : nlohmann::ordered_json(nullptr)},
                          {"seconds", since(s.started)}});
}

}  // namespace irq::cli::events
