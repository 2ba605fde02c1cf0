// Bounded JSON reading.
#include "io/json_file.h"

#include <fstream>
#include <system_error>

#include "common/error.h"

namespace irq {

namespace fs = std::filesystem;

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json parse_json_text(std::string_view text, const std::string& source, JsonLimits limits) {
  if (text.size() > limits.max_bytes)
    throw make_error(ErrorKind::kInvalidInput, source,
                     "is " + std::to_string(text.size()) + " bytes, over the limit of " + std::to_string(limits.max_bytes));
  if (json_nesting_depth(text, limits.max_depth) > limits.max_depth)
    throw make_error(ErrorKind::kInvalidInput, source, "nests arrays/objects deeper than " + std::to_string(limits.max_depth) + " levels");
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw make_error(ErrorKind::kInvalidInput, source, "not valid JSON");
  return j;
}

nlohmann::json read_json_file(const fs::path& path, JsonLimits limits) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw make_error(ErrorKind::kNotFound, path.string(), "cannot open: " + (ec ? ec.message() : "no such file"));
  if (!fs::is_regular_file(status)) throw make_error(ErrorKind::kInvalidInput, path.string(), "is not a regular file");
  const auto size = fs::file_size(path, ec);
  if (ec) throw make_error(ErrorKind::kInvalidInput, path.string(), "cannot read its size: " + ec.message());
  if (size > limits.max_bytes)
    throw make_error(ErrorKind::kInvalidInput, path.string(),
                     "is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limits.max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw make_error(ErrorKind::kNotFound, path.string(), "cannot open");
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) throw make_error(ErrorKind::kInvalidInput, path.string(), "shorter than its size");
  return parse_json_text(text, path.string(), limits);
}

}  // namespace irq
