// Leftmost-longest matching of added tokens (aho-corasick in the reference;
// here a first-byte index and longest-first comparison: LLM vocabularies
// have a few hundred added tokens at most).
#include "text/added_vocabulary.h"

#include <algorithm>

#include "text/normalizers.h"
#include "text/utf8.h"

namespace irq {

namespace {

char32_t last_char(std::string_view s) {
  if (s.empty()) return 0;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  char32_t c = 0;
  utf8::decode_at(s, i, &c);
  return c;
}

char32_t first_char(std::string_view s) {
  char32_t c = 0;
  if (!s.empty()) utf8::decode_at(s, 0, &c);
  return c;
}

// Start of the whitespace run that ends `s` (tokenizers: \s*$).
size_t whitespace_run_start(std::string_view s) {
  size_t i = s.size();
  while (i > 0) {
    size_t b = i - 1;
    while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
    char32_t c = 0;
    if (!utf8::decode_at(s, b, &c) || !is_unicode_whitespace(c)) break;
    i = b;
  }
  return i;
}

// Length of the whitespace run that starts `s` (tokenizers: ^\s*).
size_t whitespace_run_length(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t c = 0;
    const size_t n = utf8::decode_at(s, i, &c);
    if (!n || !is_unicode_whitespace(c)) break;
    i += n;
  }
  return i;
}

}  // namespace

void AddedVocabulary::add(AddedToken token, const Normalizer* normalizer) {
  if (token.content.empty()) return;
  if (auto it = by_id_.find(token.id); it != by_id_.end()) {
    tokens_[it->second] = token;  // a repeated id: the later entry wins
  } else {
    by_id_[token.id] = tokens_.size();
    tokens_.push_back(token);
  }
  raw_.clear();
  normalized_.clear();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto& t = tokens_[i];
    if (t.normalized) normalized_.push_back({normalizer ? normalizer->apply(t.content) : t.content, i});
    else raw_.push_back({t.content, i});
  }
  auto longest_first = [](const Pattern& a, const Pattern& b) { return a.text.size() > b.text.size(); };
  std::stable_sort(raw_.begin(), raw_.end(), longest_first);
  std::stable_sort(normalized_.begin(), normalized_.end(), longest_first);
}

const AddedToken* AddedVocabulary::by_id(int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::by_content(const std::string& content) const {
  for (const auto& t : tokens_)
    if (t.content == content) return &t;
  return nullptr;
}

std::vector<Segment> AddedVocabulary::split_raw(const std::string& text, bool parse_special) const {
  return split(text, /*at_start=*/true, raw_, parse_special);
}

std::vector<Segment> AddedVocabulary::split_normalized(const Segment& s, bool parse_special) const {
  return split(s.text, s.at_start, normalized_, parse_special);
}

std::vector<Segment> AddedVocabulary::split(const std::string& text, bool at_start, const std::vector<Pattern>& patterns,
                                            bool parse_special) const {
  std::vector<Segment> out;
  size_t start_offset = 0;  // end of the previous token (after rstrip)
  size_t search = 0;        // where the next match may begin (the previous match's own end)
  auto emit_text = [&](size_t b, size_t e) {
    if (e > b) out.push_back({text.substr(b, e - b), -1, at_start && b == 0});
  };
  // Next occurrence of each pattern at or after `search` (npos: none left).
  std::vector<size_t> next(patterns.size(), 0);
  for (size_t k = 0; k < patterns.size(); ++k) next[k] = text.find(patterns[k].text);
  while (!patterns.empty() && search < text.size()) {
    // Leftmost position with a match, longest pattern there (patterns are longest first).
    size_t best_pos = std::string::npos;
    const Pattern* best = nullptr;
    for (size_t k = 0; k < patterns.size(); ++k) {
      if (next[k] != std::string::npos && next[k] < search) next[k] = text.find(patterns[k].text, search);
      if (next[k] < best_pos) best_pos = next[k], best = &patterns[k];
    }
    if (!best) break;
    size_t b = best_pos, e = best_pos + best->text.size();
    search = e;
    const AddedToken& t = tokens_[best->token];
    if (!parse_special && t.special) continue;
    if (t.single_word) {
      const bool space_before = b == 0 || !is_word_char(last_char(std::string_view(text).substr(0, b)));
      const bool space_after = e == text.size() || !is_word_char(first_char(std::string_view(text).substr(e)));
      if (!space_before || !space_after) continue;
    }
    if (t.lstrip) b = std::max(whitespace_run_start(std::string_view(text).substr(0, b)), start_offset);
    if (t.rstrip) e += whitespace_run_length(std::string_view(text).substr(e));
    emit_text(start_offset, b);
    out.push_back({text.substr(b, e - b), t.id, false});
    start_offset = e;
  }
  emit_text(start_offset, text.size());
  return out;
}

}  // namespace irq
