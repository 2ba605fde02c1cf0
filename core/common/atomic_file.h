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

// "<path>.tmp-<pid>": where a file or directory is built before the rename.
std::filesystem::path temp_sibling(const std::filesystem::path& path);

// A directory built in a temporary sibling and renamed over `target` by
// commit(); removed with everything in it if commit() never ran. Filesystem
// failures become Error(kIo) naming the target.
class AtomicDir {
 public:
  explicit AtomicDir(const std::filesystem::path& target);  // creates the (emptied) temporary
  ~AtomicDir();
  AtomicDir(const AtomicDir&) = delete;
  AtomicDir& operator=(const AtomicDir&) = delete;
  const std::filesystem::path& path() const { return tmp_; }
  void commit();  // replaces any existing target

 private:
  std::filesystem::path target_, tmp_;
  bool committed_ = false;
};

}  // namespace irq
