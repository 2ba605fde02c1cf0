// The log sink.
#include "common/log.h"

#include <cstdio>
#include <mutex>

namespace irq {

namespace {
std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
std::function<void(LogLevel, const std::string&)>& sink() {
  static std::function<void(LogLevel, const std::string&)> s;
  return s;
}
}  // namespace

void log_message(LogLevel level, const std::string& text) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) {
    sink()(level, text);
    return;
  }
  const char* tag = level == LogLevel::kError ? "error: " : level == LogLevel::kWarning ? "warning: " : "";
  std::fprintf(stderr, "[irqlora] %s%s\n", tag, text.c_str());
}

void set_log_sink(std::function<void(LogLevel, const std::string&)> s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(s);
}

}  // namespace irq
