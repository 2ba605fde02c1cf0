// Temporary-then-rename file writes.
#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/error.h"

namespace irq {

namespace fs = std::filesystem;

fs::path temp_sibling(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  return tmp;
}

AtomicDir::AtomicDir(const fs::path& target) : target_(target), tmp_(temp_sibling(target)) {
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  fs::create_directories(tmp_, ec);
  if (ec) throw make_error(ErrorKind::kIo, target.string(), "cannot create " + tmp_.string() + ": " + ec.message());
}

AtomicDir::~AtomicDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
}

void AtomicDir::commit() {
  std::error_code ec;
  if (fs::exists(target_)) fs::remove_all(target_, ec);
  if (!ec && target_.has_parent_path()) fs::create_directories(target_.parent_path(), ec);
  if (!ec) fs::rename(tmp_, target_, ec);
  if (ec) throw make_error(ErrorKind::kIo, target_.string(), "cannot move into place: " + ec.message());
  committed_ = true;
}

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  const fs::path tmp = temp_sibling(path);
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw make_error(ErrorKind::kIo, path.string(), std::string("cannot create: ") + std::strerror(errno));
      write(out);
      out.flush();
      if (!out) throw make_error(ErrorKind::kIo, path.string(), "write failed (disk full?)");
    }
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw make_error(ErrorKind::kIo, path.string(), "cannot rename into place: " + ec.message());
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void write_text_atomic(const fs::path& path, const std::string& text) {
  write_file_atomic(path, [&](std::ostream& out) { out << text; });
}

}  // namespace irq
