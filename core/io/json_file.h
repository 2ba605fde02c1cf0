// JSON files read with explicit limits: a size cap and a nesting-depth cap
// checked before nlohmann builds anything (a 100,000-deep array no longer
// reaches the parser or anything that walks the result recursively), a
// directory or unreadable path refused by name. Every failure is an
// irq::Error naming the file and the rule: kNotFound when it cannot be
// opened, kInvalidInput otherwise.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace irq {

struct JsonLimits {
  size_t max_bytes = size_t{64} << 20;  // configs and metadata; tokenizer.json passes more
  int max_depth = 64;                   // the deepest real file here nests 6 levels
};

nlohmann::json read_json_file(const std::filesystem::path& path, JsonLimits limits = {});
nlohmann::json parse_json_text(std::string_view text, const std::string& source, JsonLimits limits = {});

// obj[key] as T; a missing key or a value of another type is an
// Error(kInvalidInput) naming `source`, the field and what it holds (not
// nlohmann's "type must be number, but is string").
template <typename T>
T json_field(const nlohmann::json& obj, const char* key, const std::string& source) {
  if (!obj.is_object() || !obj.contains(key)) throw make_error(ErrorKind::kInvalidInput, source, std::string("has no '") + key + "'");
  const auto& v = obj[key];
  // nlohmann converts a float to an integer with a cast (undefined out of
  // range) and a negative integer to an unsigned one by wrapping: refuse both.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const bool fits = std::is_signed_v<T> ? v.is_number_integer() : v.is_number_unsigned();
    if (!fits)
      throw make_error(ErrorKind::kInvalidInput, source,
                       std::string("'") + key + "' = " + v.dump().substr(0, 80) +
                           (std::is_signed_v<T> ? " is not an integer" : " is not a non-negative integer"));
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw make_error(ErrorKind::kInvalidInput, source,
                     std::string("'") + key + "' = " + v.dump().substr(0, 80) + " has the wrong type");
  }
}

// The deepest nesting of arrays and objects in `text` (strings skipped), or
// limit + 1 as soon as it exceeds `limit`.
int json_nesting_depth(std::string_view text, int limit);

}  // namespace irq
