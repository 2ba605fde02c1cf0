// Decoders as in tokenizers; invalid UTF-8 is replaced as Rust's
// String::from_utf8_lossy does (utf8::repair).
#include "text/decoders.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "text/pcre_regex.h"
#include "text/pre_tokenizers.h"
#include "text/utf8.h"

namespace irq {

namespace {

class ByteLevelDec final : public Decoder {
 public:
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      std::string mapped;
      bool all = true;
      for (char32_t c : utf8::code_points(t)) {
        const int b = byte_level_byte(c);
        if (b < 0) {
          all = false;
          break;
        }
        mapped.push_back(static_cast<char>(b));
      }
      bytes += all ? mapped : t;
    }
    return {utf8::repair(bytes)};
  }
};

class MetaspaceDec final : public Decoder {
 public:
  MetaspaceDec(char32_t rep, bool prepend) : rep_(rep), prepend_(prepend) {}
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      for (char32_t c : utf8::code_points(tokens[i])) {
        if (c == rep_) {
          if (!(i == 0 && prepend_)) out += ' ';
        } else {
          utf8::append(out, c);
        }
      }
      tokens[i] = std::move(out);
    }
    return tokens;
  }

 private:
  char32_t rep_;
  bool prepend_;
};

class ReplaceDec final : public Decoder {
 public:
  ReplaceDec(std::string from, std::shared_ptr<Regex> re, std::string to) : from_(std::move(from)), re_(std::move(re)), to_(std::move(to)) {}
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    for (auto& t : tokens) {
      if (re_) {
        t = re_->replace_all(t, to_);
        continue;
      }
      t = utf8::replace_literal(t, from_, to_);
    }
    return tokens;
  }

 private:
  std::string from_;
  std::shared_ptr<Regex> re_;
  std::string to_;
};

class ByteFallbackDec final : public Decoder {
 public:
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8::is_valid(pending)) out.push_back(pending);
      else
        for (size_t k = 0; k < pending.size(); ++k) out.push_back(utf8::encode(utf8::kReplacement));
      pending.clear();
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        char* end = nullptr;
        const std::string hex = t.substr(3, 2);
        const long v = std::strtol(hex.c_str(), &end, 16);
        if (end && *end == '\0') byte = static_cast<int>(v);
      }
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    return out;
  }
};

class FuseDec final : public Decoder {
 public:
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    return {all};
  }
};

class StripDec final : public Decoder {
 public:
  StripDec(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    for (auto& t : tokens) {
      const auto cps = utf8::code_points(t);
      size_t b = 0, e = cps.size();
      for (size_t i = 0; i < start_ && i < cps.size() && cps[i] == content_; ++i) b = i + 1;
      for (size_t i = 0; i < stop_ && i < cps.size(); ++i) {
        const size_t index = cps.size() - i - 1;
        if (cps[index] != content_) break;
        e = index;
      }
      std::string out;
      for (size_t i = b; i < e; ++i) utf8::append(out, cps[i]);
      t = std::move(out);
    }
    return tokens;
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class SequenceDec final : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> steps;
  std::vector<std::string> chain(std::vector<std::string> tokens) const override {
    for (const auto& s : steps) tokens = s->chain(std::move(tokens));
    return tokens;
  }
};

char32_t one_char(const nlohmann::json& j, const char* key, char32_t fallback, const std::string& source) {
  if (!j.contains(key) || !j.at(key).is_string()) return fallback;
  const auto cps = utf8::code_points(j.at(key).get<std::string>());
  if (cps.size() != 1) throw make_error(ErrorKind::kInvalidInput, source, std::string("decoder field '") + key + "' must be one character");
  return cps[0];
}

}  // namespace

std::string Decoder::decode(std::vector<std::string> tokens) const {
  std::string out;
  for (const auto& t : chain(std::move(tokens))) out += t;
  return out;
}

std::unique_ptr<Decoder> Decoder::from_json(const nlohmann::json& j, const std::string& source) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j.at("type").is_string())
    throw make_error(ErrorKind::kInvalidInput, source, "decoder without a \"type\"");
  const std::string type = j.at("type").get<std::string>();
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceDec>();
    if (!j.contains("decoders") || !j.at("decoders").is_array())
      throw make_error(ErrorKind::kInvalidInput, source, "decoder Sequence has no \"decoders\" list");
    for (const auto& child : j.at("decoders"))
      if (auto d = from_json(child, source)) seq->steps.push_back(std::move(d));
    return seq;
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDec>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDec>();
  if (type == "Fuse") return std::make_unique<FuseDec>();
  if (type == "Metaspace") {
    bool prepend = true;
    if (j.contains("prepend_scheme") && j.at("prepend_scheme").is_string()) prepend = j.at("prepend_scheme").get<std::string>() != "never";
    else if (j.contains("add_prefix_space") && j.at("add_prefix_space").is_boolean()) prepend = j.at("add_prefix_space").get<bool>();
    return std::make_unique<MetaspaceDec>(one_char(j, "replacement", 0x2581, source), prepend);
  }
  if (type == "Replace") {
    const std::string to = j.contains("content") && j.at("content").is_string() ? j.at("content").get<std::string>() : "";
    const auto& pat = j.contains("pattern") ? j.at("pattern") : nlohmann::json();
    if (pat.is_object() && pat.contains("String") && pat.at("String").is_string() && !pat.at("String").get<std::string>().empty())
      return std::make_unique<ReplaceDec>(pat.at("String").get<std::string>(), nullptr, to);
    if (pat.is_object() && pat.contains("Regex") && pat.at("Regex").is_string())
      return std::make_unique<ReplaceDec>("", std::make_shared<Regex>(pat.at("Regex").get<std::string>(), source), to);
    throw make_error(ErrorKind::kInvalidInput, source, "decoder Replace needs a pattern {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "Strip") {
    auto count = [&](const char* k) {
      if (!j.contains(k) || j.at(k).is_null()) return size_t{0};
      if (!j.at(k).is_number_integer() || j.at(k).get<int64_t>() < 0)
        throw make_error(ErrorKind::kInvalidInput, source, std::string("decoder Strip field '") + k + "' must be a count");
      return j.at(k).get<size_t>();
    };
    return std::make_unique<StripDec>(one_char(j, "content", ' ', source), count("start"), count("stop"));
  }
  throw make_error(ErrorKind::kUnsupported, source,
                   "decoder '" + type + "' is not supported (ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence are)");
}

}  // namespace irq
