// Pre-tokenizers over lists of pieces; splits follow tokenizers'
// NormalizedString::split (empty pieces dropped).
#include "text/pre_tokenizers.h"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "text/normalizers.h"
#include "text/pcre_regex.h"
#include "text/utf8.h"

namespace irq {

namespace {

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior parse_behavior(const nlohmann::json& j, const std::string& source) {
  const std::string b = j.is_string() ? j.get<std::string>() : "";
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  throw make_error(ErrorKind::kInvalidInput, source, "Split behavior '" + j.dump() + "' is not one of Removed, Isolated, "
                                                     "MergedWithPrevious, MergedWithNext, Contiguous");
}

struct Span {
  size_t begin, end;
  bool match;
};

// Matches -> spans covering the text, as tokenizers' Pattern::find_matches.
std::vector<Span> cover(size_t size, const std::vector<std::pair<size_t, size_t>>& matches) {
  std::vector<Span> spans;
  if (size == 0) return {{0, 0, false}};
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) spans.push_back({prev, b, false});
    spans.push_back({b, e, true});
    prev = e;
  }
  if (prev != size) spans.push_back({prev, size, false});
  return spans;
}

// NormalizedString::split: behaviour applied to the spans, then sliced.
void split_piece(const PreToken& piece, std::vector<Span> spans, Behavior behavior, bool invert, std::vector<PreToken>& out) {
  if (invert)
    for (auto& s : spans) s.match = !s.match;
  std::vector<std::pair<Span, bool>> cut;  // span, removed
  switch (behavior) {
    case Behavior::kIsolated:
      for (const auto& s : spans) cut.push_back({s, false});
      break;
    case Behavior::kRemoved:
      for (const auto& s : spans) cut.push_back({s, s.match});
      break;
    case Behavior::kContiguous: {
      bool previous = false;
      for (const auto& s : spans) {
        if (s.match == previous && !cut.empty()) cut.back().first.end = s.end;
        else cut.push_back({s, false});
        previous = s.match;
      }
      break;
    }
    case Behavior::kMergedWithPrevious: {
      bool previous = false;
      for (const auto& s : spans) {
        if (s.match && !previous && !cut.empty()) cut.back().first.end = s.end;
        else cut.push_back({s, false});
        previous = s.match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool previous = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !previous && !cut.empty()) cut.back().first.begin = it->begin;
        else cut.push_back({*it, false});
        previous = it->match;
      }
      std::reverse(cut.begin(), cut.end());
      break;
    }
  }
  bool first = true;
  for (const auto& [s, removed] : cut) {
    if (!removed && s.end > s.begin) out.push_back({piece.text.substr(s.begin, s.end - s.begin), piece.at_start && s.begin == 0});
    first = false;
  }
  (void)first;
}

// Each code point for which pred holds is one match.
std::vector<std::pair<size_t, size_t>> char_matches(const std::string& s, const std::function<bool(char32_t)>& pred) {
  std::vector<std::pair<size_t, size_t>> m;
  for (size_t i = 0; i < s.size();) {
    char32_t c = 0;
    size_t n = utf8::decode_at(s, i, &c);
    if (n == 0) n = 1;
    if (pred(c)) m.emplace_back(i, i + n);
    i += n;
  }
  return m;
}

class SplitPre final : public PreTokenizer {
 public:
  SplitPre(std::shared_ptr<Regex> re, std::string literal, Behavior b, bool invert)
      : re_(std::move(re)), literal_(std::move(literal)), behavior_(b), invert_(invert) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (const auto& p : pieces) {
      std::vector<std::pair<size_t, size_t>> m;
      if (re_) {
        m = re_->find_all(p.text);
      } else {
        for (size_t at = p.text.find(literal_); at != std::string::npos; at = p.text.find(literal_, at + literal_.size()))
          m.emplace_back(at, at + literal_.size());
      }
      split_piece(p, cover(p.text.size(), m), behavior_, invert_, out);
    }
    pieces = std::move(out);
  }

 private:
  std::shared_ptr<Regex> re_;
  std::string literal_;
  Behavior behavior_;
  bool invert_;
};

class CharSplitPre final : public PreTokenizer {
 public:
  CharSplitPre(std::function<bool(char32_t)> pred, Behavior b) : pred_(std::move(pred)), behavior_(b) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (const auto& p : pieces) split_piece(p, cover(p.text.size(), char_matches(p.text, pred_)), behavior_, false, out);
    pieces = std::move(out);
  }

 private:
  std::function<bool(char32_t)> pred_;
  Behavior behavior_;
};

class ByteLevelPre final : public PreTokenizer {
 public:
  ByteLevelPre(bool add_prefix_space, bool use_regex, const std::string& source)
      : add_prefix_space_(add_prefix_space), re_(use_regex ? std::make_unique<Regex>(kGpt2Pattern, source) : nullptr) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> split;
    for (auto p : pieces) {
      if (add_prefix_space_ && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, 1, ' ');
      if (re_) split_piece(p, cover(p.text.size(), re_->find_all(p.text)), Behavior::kIsolated, false, split);
      else if (!p.text.empty()) split.push_back(std::move(p));
    }
    const auto& chars = byte_level_chars();
    for (auto& p : split) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char b : p.text) mapped += chars[b];
      p.text = std::move(mapped);
    }
    pieces = std::move(split);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> re_;
};

class MetaspacePre final : public PreTokenizer {
 public:
  enum class Prepend { kAlways, kFirst, kNever };
  MetaspacePre(std::string replacement, Prepend scheme, bool split)
      : rep_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (auto p : pieces) {
      std::string t;
      for (char c : p.text) {
        if (c == ' ') t += rep_;
        else t += c;
      }
      const bool starts = t.compare(0, rep_.size(), rep_) == 0;
      if (!starts && (scheme_ == Prepend::kAlways || (scheme_ == Prepend::kFirst && p.at_start))) t.insert(0, rep_);
      p.text = std::move(t);
      if (!split_) {
        if (!p.text.empty()) out.push_back(std::move(p));
        continue;
      }
      std::vector<std::pair<size_t, size_t>> m;
      for (size_t at = p.text.find(rep_); at != std::string::npos; at = p.text.find(rep_, at + rep_.size()))
        m.emplace_back(at, at + rep_.size());
      split_piece(p, cover(p.text.size(), m), Behavior::kMergedWithNext, false, out);
    }
    pieces = std::move(out);
  }

 private:
  std::string rep_;
  Prepend scheme_;
  bool split_;
};

class SequencePre final : public PreTokenizer {
 public:
  std::vector<std::unique_ptr<PreTokenizer>> steps;
  void apply(std::vector<PreToken>& pieces) const override {
    for (const auto& s : steps) s->apply(pieces);
  }
};

bool flag(const nlohmann::json& j, const char* key, bool fallback, const std::string& source) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  if (!j.at(key).is_boolean()) throw make_error(ErrorKind::kInvalidInput, source, std::string("pre_tokenizer field '") + key + "' must be true or false");
  return j.at(key).get<bool>();
}

}  // namespace

const std::vector<std::string>& byte_level_chars() {
  static const std::vector<std::string> table = [] {
    std::array<char32_t, 256> cp{};
    std::array<bool, 256> direct{};
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) cp[b] = direct[b] ? static_cast<char32_t>(b) : next++;
    std::vector<std::string> t(256);
    for (int b = 0; b < 256; ++b) t[b] = utf8::encode(cp[b]);
    return t;
  }();
  return table;
}

int byte_level_byte(char32_t c) {
  static const std::vector<int> inverse = [] {
    std::vector<int> inv(512, -1);
    const auto& chars = byte_level_chars();
    for (int b = 0; b < 256; ++b) {
      char32_t cp = 0;
      utf8::decode_at(chars[b], 0, &cp);
      inv[cp] = b;
    }
    return inv;
  }();
  return c < inverse.size() ? inverse[c] : -1;
}

std::unique_ptr<PreTokenizer> PreTokenizer::from_json(const nlohmann::json& j, const std::string& source) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j.at("type").is_string())
    throw make_error(ErrorKind::kInvalidInput, source, "pre_tokenizer without a \"type\"");
  const std::string type = j.at("type").get<std::string>();
  if (type == "Sequence") {
    auto seq = std::make_unique<SequencePre>();
    if (!j.contains("pretokenizers") || !j.at("pretokenizers").is_array())
      throw make_error(ErrorKind::kInvalidInput, source, "pre_tokenizer Sequence has no \"pretokenizers\" list");
    for (const auto& child : j.at("pretokenizers"))
      if (auto p = from_json(child, source)) seq->steps.push_back(std::move(p));
    return seq;
  }
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPre>(flag(j, "add_prefix_space", true, source), flag(j, "use_regex", true, source), source);
  if (type == "Split") {
    const auto& pat = j.contains("pattern") ? j.at("pattern") : nlohmann::json();
    const Behavior b = parse_behavior(j.contains("behavior") ? j.at("behavior") : nlohmann::json(), source);
    const bool invert = flag(j, "invert", false, source);
    if (pat.is_object() && pat.contains("Regex") && pat.at("Regex").is_string())
      return std::make_unique<SplitPre>(std::make_shared<Regex>(pat.at("Regex").get<std::string>(), source), "", b, invert);
    if (pat.is_object() && pat.contains("String") && pat.at("String").is_string() && !pat.at("String").get<std::string>().empty())
      return std::make_unique<SplitPre>(nullptr, pat.at("String").get<std::string>(), b, invert);
    throw make_error(ErrorKind::kInvalidInput, source, "pre_tokenizer Split needs a pattern {\"Regex\": ...} or {\"String\": ...}");
  }
  if (type == "Digits")
    return std::make_unique<CharSplitPre>(is_unicode_numeric, flag(j, "individual_digits", false, source) ? Behavior::kIsolated
                                                                                                            : Behavior::kContiguous);
  if (type == "WhitespaceSplit") return std::make_unique<CharSplitPre>(is_unicode_whitespace, Behavior::kRemoved);
  if (type == "Whitespace")
    return std::make_unique<SplitPre>(std::make_shared<Regex>(R"(\w+|[^\w\s]+)", source), "", Behavior::kRemoved, /*invert=*/true);
  if (type == "Metaspace") {
    const std::string rep = j.contains("replacement") && j.at("replacement").is_string() ? j.at("replacement").get<std::string>()
                                                                                          : "\xE2\x96\x81";
    MetaspacePre::Prepend scheme = MetaspacePre::Prepend::kAlways;
    if (j.contains("prepend_scheme") && j.at("prepend_scheme").is_string()) {
      const std::string s = j.at("prepend_scheme").get<std::string>();
      if (s == "first") scheme = MetaspacePre::Prepend::kFirst;
      else if (s == "never") scheme = MetaspacePre::Prepend::kNever;
      else if (s != "always") throw make_error(ErrorKind::kInvalidInput, source, "Metaspace prepend_scheme '" + s + "' is not always, first or never");
    } else if (!flag(j, "add_prefix_space", true, source)) {
      scheme = MetaspacePre::Prepend::kNever;  // files written before prepend_scheme existed
    }
    return std::make_unique<MetaspacePre>(rep, scheme, flag(j, "split", true, source));
  }
  throw make_error(ErrorKind::kUnsupported, source,
                   "pre_tokenizer '" + type + "' is not supported (ByteLevel, Split, Digits, Metaspace, Whitespace, "
                   "WhitespaceSplit, Sequence are)");
}

}  // namespace irq
