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

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
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
