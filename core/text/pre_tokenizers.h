// The pre-tokenizer stage of a Hugging Face tokenizer.json (tokenizers'
// pre_tokenizers/*.rs): ByteLevel (GPT-2 regex, byte-to-unicode map),
// Split (regex or string, all five delimiter behaviours, invert), Digits,
// Metaspace (prepend_scheme always/first/never, split), Whitespace,
// WhitespaceSplit and Sequence. Unknown types are refused naming the file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

struct PreToken {
  std::string text;
  bool at_start = false;  // begins at offset 0 of the original input (Metaspace "first")
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void apply(std::vector<PreToken>& pieces) const = 0;
  // `j` is tokenizer.json's "pre_tokenizer" (null: nullptr, no splitting).
  static std::unique_ptr<PreTokenizer> from_json(const nlohmann::json& j, const std::string& source);
};

// GPT-2's reversible byte -> printable code point map and its inverse
// (-1 for code points that are not in it).
const std::vector<std::string>& byte_level_chars();  // [256] UTF-8 of each byte's char
int byte_level_byte(char32_t c);

}  // namespace irq
