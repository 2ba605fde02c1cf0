// Python string semantics for task prompts (see task_text.h).
#include "eval/task_text.h"

#include <utf8proc.h>

#include <vector>

namespace irq {

namespace {

struct Char {
  size_t begin, end;  // byte range
  utf8proc_int32_t cp;  // -1: an invalid byte
};

std::vector<Char> chars(const std::string& s) {
  std::vector<Char> out;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp = -1;
    const auto n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    const size_t len = n > 0 ? static_cast<size_t>(n) : 1;
    out.push_back({i, i + len, n > 0 ? cp : -1});
    i += len;
  }
  return out;
}

// str.isspace(): bidirectional class WS, B or S, or category Zs.
bool py_space(utf8proc_int32_t cp) {
  if (cp < 0) return false;
  if ((cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85) return true;
  if (cp < 0x80) return false;
  const auto* p = utf8proc_get_property(cp);
  return p->category == UTF8PROC_CATEGORY_ZS || p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
         p->bidi_class == UTF8PROC_BIDI_CLASS_B || p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

void append_cp(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) out += s.substr(pos, hit - pos) + to;
  return out + s.substr(pos);
}

}  // namespace

std::string py_rstrip(const std::string& s) {
  const auto cs = chars(s);
  size_t end = cs.size();
  while (end > 0 && py_space(cs[end - 1].cp)) --end;
  return s.substr(0, end ? cs[end - 1].end : 0);
}

std::string py_strip(const std::string& s) {
  const auto cs = chars(s);
  size_t begin = 0, end = cs.size();
  while (begin < end && py_space(cs[begin].cp)) ++begin;
  while (end > begin && py_space(cs[end - 1].cp)) --end;
  return begin == end ? std::string() : s.substr(cs[begin].begin, cs[end - 1].end - cs[begin].begin);
}

std::string py_capitalize(const std::string& s) {
  std::string out;
  const auto cs = chars(s);
  for (size_t i = 0; i < cs.size(); ++i) {
    if (cs[i].cp < 0) {
      out += s[cs[i].begin];
      continue;
    }
    append_cp(out, i == 0 ? utf8proc_totitle(cs[i].cp) : utf8proc_tolower(cs[i].cp));
  }
  return out;
}

std::string hellaswag_preprocess(const std::string& text) {
  std::string s = replace_all(py_strip(text), " [title]", ". ");
  // re.sub("\\[.*?\\]", "", s): '.' does not match a newline, so a '[' is
  // removed with the first ']' after it on the same line, if any.
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '[') {
      const size_t close = s.find_first_of("]\n", i + 1);
      if (close != std::string::npos && s[close] == ']') {
        i = close + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return replace_all(out, "  ", " ");
}

size_t py_char_count(const std::string& s) { return chars(s).size(); }

}  // namespace irq
