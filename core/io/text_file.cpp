// Checked whole-file reads (see text_file.h).
#include "io/text_file.h"

#include <fstream>

#include "common/error.h"

namespace fs = std::filesystem;

namespace irq {

std::string read_text_file(const fs::path& path, size_t max_bytes, const std::string& what) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw make_error(ErrorKind::kNotFound, path.string(), "cannot open " + what + ": no such file");
  if (!fs::is_regular_file(status)) throw make_error(ErrorKind::kInvalidInput, path.string(), what + " is not a regular file");
  const auto size = fs::file_size(path, ec);
  if (ec) throw make_error(ErrorKind::kInvalidInput, path.string(), "cannot read the size of " + what + ": " + ec.message());
  if (size > max_bytes)
    throw make_error(ErrorKind::kInvalidInput, path.string(),
                     what + " is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw make_error(ErrorKind::kNotFound, path.string(), "cannot open " + what);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) throw make_error(ErrorKind::kInvalidInput, path.string(), what + " is shorter than its size");
  return text;
}

}  // namespace irq
