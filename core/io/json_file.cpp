// Bounded JSON reading.
#include "io/json_file.h"

#include "common/error.h"
#include "io/text_file.h"

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
  return parse_json_text(read_text_file(path, limits.max_bytes, "the file"), path.string(), limits);
}

}  // namespace irq
