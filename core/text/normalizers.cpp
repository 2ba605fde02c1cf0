// Normalizer steps as closures over std::string; Unicode via utf8proc.
#include "text/normalizers.h"

#include <utf8proc.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "text/pcre_regex.h"
#include "text/utf8.h"

namespace irq {

namespace {

std::string utf8proc_apply(const std::string& s, int options, const std::string& source) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
                              &out, static_cast<utf8proc_option_t>(options));
  if (n < 0) throw make_error(ErrorKind::kInvalidInput, source, std::string("Unicode normalization failed: ") + utf8proc_errmsg(n));
  std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return r;
}

template <typename F>
std::string map_code_points(const std::string& s, F&& f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = utf8::decode_at(s, i, &cp);
    if (n == 0) n = 1, cp = utf8::kReplacement;
    f(cp, out);
    i += n;
  }
  return out;
}

std::string json_string(const nlohmann::json& j, const char* key, const std::string& where, const std::string& source) {
  if (!j.contains(key) || !j.at(key).is_string())
    throw make_error(ErrorKind::kInvalidInput, source, where + " has no string field '" + key + "'");
  return j.at(key).get<std::string>();
}

}  // namespace

bool is_unicode_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_unicode_numeric(char32_t c) {
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool is_word_char(char32_t c) {
  if (c == 0x200C || c == 0x200D) return true;  // Join_Control
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

void add_normalizer_steps(Normalizer& n, const nlohmann::json& j, const std::string& source) {
  if (j.is_null()) return;
  if (!j.is_object() || !j.contains("type") || !j.at("type").is_string())
    throw make_error(ErrorKind::kInvalidInput, source, "normalizer without a \"type\"");
  const std::string type = j.at("type").get<std::string>();
  auto& steps = n.steps_;
  if (type == "Sequence") {
    if (!j.contains("normalizers") || !j.at("normalizers").is_array())
      throw make_error(ErrorKind::kInvalidInput, source, "normalizer Sequence has no \"normalizers\" list");
    for (const auto& child : j.at("normalizers")) add_normalizer_steps(n, child, source);
  } else if (type == "Prepend") {
    const std::string p = json_string(j, "prepend", "normalizer Prepend", source);
    steps.push_back([p](std::string s) { return s.empty() ? s : p + s; });
  } else if (type == "Replace") {
    const std::string content = json_string(j, "content", "normalizer Replace", source);
    const auto& pat = j.contains("pattern") ? j.at("pattern") : nlohmann::json();
    if (pat.is_object() && pat.contains("String") && pat.at("String").is_string()) {
      const std::string from = pat.at("String").get<std::string>();
      if (from.empty()) throw make_error(ErrorKind::kInvalidInput, source, "normalizer Replace with an empty pattern");
      steps.push_back([from, content](std::string s) { return utf8::replace_literal(s, from, content); });
    } else if (pat.is_object() && pat.contains("Regex") && pat.at("Regex").is_string()) {
      auto re = std::make_shared<Regex>(pat.at("Regex").get<std::string>(), source);
      steps.push_back([re, content](std::string s) { return re->replace_all(s, content); });
    } else {
      throw make_error(ErrorKind::kInvalidInput, source, "normalizer Replace needs a pattern {\"String\": ...} or {\"Regex\": ...}");
    }
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    int options = UTF8PROC_STABLE;
    options |= type == "NFC" || type == "NFKC" ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE;
    if (type[2] == 'K') options |= UTF8PROC_COMPAT;
    steps.push_back([options, source](std::string s) { return utf8proc_apply(s, options, source); });
  } else if (type == "Lowercase") {
    steps.push_back([](std::string s) {
      return map_code_points(s, [](char32_t c, std::string& out) {
        if (c == 0x130) {  // the one unconditional multi-character lowercase mapping
          out += "i\xCC\x87";
          return;
        }
        utf8::append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
      });
    });
  } else if (type == "Strip") {
    const bool left = j.value("strip_left", true), right = j.value("strip_right", true);
    steps.push_back([left, right](std::string s) {
      size_t b = 0, e = s.size();
      while (left && b < e) {
        char32_t c;
        const size_t k = utf8::decode_at(s, b, &c);
        if (!k || !is_unicode_whitespace(c)) break;
        b += k;
      }
      while (right && e > b) {
        size_t start = e - 1;
        while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        char32_t c;
        if (!utf8::decode_at(s, start, &c) || !is_unicode_whitespace(c)) break;
        e = start;
      }
      return s.substr(b, e - b);
    });
  } else if (type == "StripAccents") {
    steps.push_back([](std::string s) {
      return map_code_points(s, [](char32_t c, std::string& out) {
        if (utf8proc_category(static_cast<utf8proc_int32_t>(c)) != UTF8PROC_CATEGORY_MN) utf8::append(out, c);
      });
    });
  } else {
    throw make_error(ErrorKind::kUnsupported, source,
                     "normalizer '" + type + "' is not supported (Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents are)");
  }
}

std::unique_ptr<Normalizer> Normalizer::from_json(const nlohmann::json& j, const std::string& source) {
  auto n = std::make_unique<Normalizer>();
  add_normalizer_steps(*n, j, source);
  return n;
}

std::string Normalizer::apply(std::string text) const {
  for (const auto& step : steps_) text = step(std::move(text));
  return text;
}

}  // namespace irq
