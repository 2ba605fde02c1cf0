// UTF-8 helpers of the tokenizer pipeline: code point iteration, encoding,
// and repair of invalid input. Invalid sequences become U+FFFD exactly as
// Python's bytes.decode("utf-8", "replace") and Rust's
// String::from_utf8_lossy do it (one U+FFFD per maximal invalid subpart,
// Unicode 15 section 3.9 "U+FFFD Substitution of Maximal Subparts"), so the
// engine sees the text the reference tokenizers see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace irq::utf8 {

constexpr char32_t kReplacement = 0xFFFD;

// Length of the valid sequence starting at s[i] (1..4), or 0 when invalid;
// *cp receives the code point.
size_t decode_at(std::string_view s, size_t i, char32_t* cp);
void append(std::string& out, char32_t cp);
std::string encode(char32_t cp);
bool is_valid(std::string_view s);
// `s` with every maximal invalid subpart replaced by U+FFFD.
std::string repair(std::string_view s);
// `s` with every occurrence of the non-empty literal `from` replaced by `to`,
// left to right (the Replace normalizer and decoder with a String pattern).
std::string replace_literal(std::string_view s, std::string_view from, std::string_view to);
// The code points of `s`, each byte of an invalid sequence as U+FFFD (the
// decoders' per-character view of a token).
std::vector<char32_t> code_points(std::string_view s);
// Number of code points of valid UTF-8 `s` (bytes that do not continue one).
inline size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
// Byte length of the (valid) code point starting with byte `lead`.
inline size_t sequence_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace irq::utf8
