// The normalizer stage of a Hugging Face tokenizer.json (tokenizers'
// normalizers/*.rs): Sequence, Prepend, Replace (string or regex), NFC, NFD,
// NFKC, NFKD (utf8proc), Lowercase, Strip, StripAccents. Any other type is
// refused with an error naming the component and the file.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

class Normalizer {
 public:
  // `j` is tokenizer.json's "normalizer" (null: identity).
  static std::unique_ptr<Normalizer> from_json(const nlohmann::json& j, const std::string& source);
  std::string apply(std::string text) const;
  bool empty() const { return steps_.empty(); }

 private:
  std::vector<std::function<std::string(std::string)>> steps_;
  friend void add_normalizer_steps(Normalizer&, const nlohmann::json&, const std::string&);
};

// Unicode helpers shared with the pre-tokenizers and the added vocabulary.
bool is_unicode_whitespace(char32_t c);  // Unicode White_Space (Rust char::is_whitespace)
bool is_unicode_numeric(char32_t c);     // general category Nd, Nl or No (Rust char::is_numeric)
bool is_word_char(char32_t c);           // letters, marks, numbers, connector punctuation (regex \w)

}  // namespace irq
