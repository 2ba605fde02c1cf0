// Writes that never leave a half-written file behind: content goes to a
// temporary sibling and is renamed over the target only once complete.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

namespace irq {

// Calls `write` with a stream on "<path>.tmp-<pid>", flushes, fsyncs and
// renames onto `path`. On any failure the temporary is removed and an
// Error(kIo) naming `path` is thrown.
void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

void write_text_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace irq
