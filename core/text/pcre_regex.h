// PCRE2 (UTF + Unicode properties, JIT) behind the tokenizer pipeline's
// regex patterns: the pre-tokenizer splits of GPT-2 / Llama 3 / Qwen2 with
// \p{L}, \p{N}, (?i:...) and look-ahead, and Replace normalizers. The
// reference (Hugging Face tokenizers) runs them on Oniguruma, whose \s is
// Unicode White_Space; PCRE2's \s lacks U+0085 (NEL), so patterns are
// rewritten to add it (see whitespace_as_oniguruma).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace irq {

class Regex {
 public:
  // Throws Error(kInvalidInput) naming `source` and PCRE2's message.
  Regex(const std::string& pattern, const std::string& source);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-overlapping matches, left to right, as (begin, end) byte offsets.
  // An empty match is reported and the search moves on by one code point.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view s) const;
  std::string replace_all(std::string_view s, std::string_view with) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8
  std::string source_;
};

// `pattern` with \s (outside and inside classes) and \S (outside classes)
// widened to Unicode White_Space, as Oniguruma reads them.
std::string whitespace_as_oniguruma(const std::string& pattern);

}  // namespace irq
