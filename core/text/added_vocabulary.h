// Added and special tokens of a Hugging Face tokenizer (tokenizers'
// tokenizer/added_vocabulary.rs): split out of the text before the model
// runs, leftmost-longest, tokens with normalized = false on the raw text and
// those with normalized = true on the normalized text; lstrip / rstrip take
// the adjacent whitespace, single_word needs non-word characters around.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace irq {

class Normalizer;

struct AddedToken {
  int64_t id = -1;
  std::string content;
  bool special = false, single_word = false, lstrip = false, rstrip = false, normalized = true;
};

// A span of text, or an added token's id.
struct Segment {
  std::string text;
  int64_t id = -1;  // >= 0: an added token
  bool at_start = false;
};

class AddedVocabulary {
 public:
  void add(AddedToken token, const Normalizer* normalizer);
  // Step 1 / step 2 of tokenizers' extract_and_normalize. parse_special =
  // false leaves special tokens' text as text (encode_special_tokens).
  std::vector<Segment> split_raw(const std::string& text, bool parse_special) const;
  std::vector<Segment> split_normalized(const Segment& normalized, bool parse_special) const;

  const AddedToken* by_id(int64_t id) const;
  const AddedToken* by_content(const std::string& content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Pattern {
    std::string text;
    size_t token;  // index into tokens_
  };
  std::vector<Segment> split(const std::string& text, bool at_start, const std::vector<Pattern>& patterns, bool parse_special) const;
  std::vector<AddedToken> tokens_;
  std::unordered_map<int64_t, size_t> by_id_;
  std::vector<Pattern> raw_, normalized_;  // each sorted by text for longest-first lookup
};

}  // namespace irq
