// UTF-8 decoding with maximal-subpart replacement.
#include "text/utf8.h"

namespace irq::utf8 {

namespace {

// Bounds of the second byte for each lead byte (Unicode Table 3-7), so that
// overlong forms, surrogates and code points above U+10FFFF are invalid at
// the second byte, which is what makes the invalid subpart maximal.
bool second_ok(unsigned char lead, unsigned char b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  return b >= 0x80 && b <= 0xBF;
}

// Bytes that belong to the (maybe truncated) sequence at s[i]: the maximal
// subpart. Returns n > 0; valid is set when the whole sequence is present.
size_t scan(std::string_view s, size_t i, char32_t* cp, bool* valid) {
  const auto lead = static_cast<unsigned char>(s[i]);
  *valid = false;
  if (lead < 0x80) {
    *cp = lead;
    *valid = true;
    return 1;
  }
  size_t need;
  char32_t value;
  if (lead >= 0xC2 && lead <= 0xDF) need = 1, value = lead & 0x1F;
  else if (lead >= 0xE0 && lead <= 0xEF) need = 2, value = lead & 0x0F;
  else if (lead >= 0xF0 && lead <= 0xF4) need = 3, value = lead & 0x07;
  else return 1;  // C0, C1, F5..FF, or a stray continuation byte
  size_t n = 1;
  for (size_t k = 0; k < need; ++k) {
    if (i + n >= s.size()) return n;
    const auto b = static_cast<unsigned char>(s[i + n]);
    if (k == 0 ? !second_ok(lead, b) : (b < 0x80 || b > 0xBF)) return n;
    value = (value << 6) | (b & 0x3F);
    ++n;
  }
  *cp = value;
  *valid = true;
  return n;
}

}  // namespace

size_t decode_at(std::string_view s, size_t i, char32_t* cp) {
  bool valid = false;
  const size_t n = scan(s, i, cp, &valid);
  return valid ? n : 0;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode(char32_t cp) {
  std::string s;
  append(s, cp);
  return s;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> cps;
  for (size_t i = 0; i < s.size();) {
    char32_t c = 0;
    size_t n = decode_at(s, i, &c);
    if (!n) n = 1, c = kReplacement;
    cps.push_back(c);
    i += n;
  }
  return cps;
}

bool is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t n = decode_at(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string replace_literal(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t prev = 0, at;
  while (!from.empty() && (at = s.find(from, prev)) != std::string_view::npos) {
    out.append(s.substr(prev, at - prev));
    out.append(to);
    prev = at + from.size();
  }
  out.append(s.substr(prev));
  return out;
}

std::string repair(std::string_view s) {
  if (is_valid(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    bool valid = false;
    const size_t n = scan(s, i, &cp, &valid);
    if (valid) out.append(s.substr(i, n));
    else append(out, kReplacement);
    i += n;
  }
  return out;
}

}  // namespace irq::utf8
