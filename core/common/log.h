// Engine log messages (plugin loading, skipped tensors, ...) through one
// replaceable sink: stderr by default, the GUI's log panel when it installs one.
#pragma once

#include <functional>
#include <string>

namespace irq {

enum class LogLevel { kInfo, kWarning, kError };

void log_message(LogLevel level, const std::string& text);
// Installs `sink` (nullptr restores stderr). Thread-safe; the sink may be called from any thread.
void set_log_sink(std::function<void(LogLevel, const std::string&)> sink);

}  // namespace irq
