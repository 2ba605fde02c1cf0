// tokenizer.json + tokenizer_config.json -> the encode/decode pipeline.
#include "text/hf_tokenizer.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/json_file.h"
#include "text/added_vocabulary.h"
#include "text/bpe_model.h"
#include "text/decoders.h"
#include "text/normalizers.h"
#include "text/pre_tokenizers.h"
#include "text/utf8.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxTokenizerFileBytes = 512ull << 20;

}  // namespace

nlohmann::json read_tokenizer_json(const fs::path& path) {
  JsonLimits limits;  // size and nesting checked before parsing (mentions_type below recurses)
  limits.max_bytes = kMaxTokenizerFileBytes;
  return read_json_file(path, limits);
}

namespace {

bool mentions_type(const nlohmann::json& j, const std::string& type) {
  if (j.is_object()) {
    if (j.contains("type") && j.at("type") == type) return true;
    for (const auto& [k, v] : j.items())
      if (mentions_type(v, type)) return true;
  } else if (j.is_array()) {
    for (const auto& v : j)
      if (mentions_type(v, type)) return true;
  }
  return false;
}

// tokenizer_config.json spells tokens as "…" or {"content": "…", …}.
std::string config_token(const nlohmann::json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return "";
  const auto& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
  return "";
}

}  // namespace

HfTokenizer::HfTokenizer() = default;
HfTokenizer::~HfTokenizer() = default;

std::unique_ptr<HfTokenizer> HfTokenizer::from_dir(const fs::path& dir) {
  const fs::path file = dir / "tokenizer.json";
  const auto j = read_tokenizer_json(file);
  nlohmann::json config;
  if (fs::exists(dir / "tokenizer_config.json")) {
    config = read_tokenizer_json(dir / "tokenizer_config.json");
    if (!config.is_object()) throw make_error(ErrorKind::kInvalidInput, (dir / "tokenizer_config.json").string(), "not a JSON object");
  }
  return from_json(j, config, file.string());
}

// A function-try-block: whatever field of whatever component holds a value of
// the wrong type, nlohmann's error becomes one naming the file (the fuzzer
// found a SpecialToken id that is a number; each component checks the
// fields it knows, this catches the rest).
std::unique_ptr<HfTokenizer> HfTokenizer::from_json(const nlohmann::json& j, const nlohmann::json& config,
                                                     const std::string& source) try {
  if (!j.is_object()) throw make_error(ErrorKind::kInvalidInput, source, "not a JSON object");
  std::unique_ptr<HfTokenizer> t(new HfTokenizer());
  auto field = [&](const char* k) { return j.contains(k) ? j.at(k) : nlohmann::json(); };
  t->normalizer_ = Normalizer::from_json(field("normalizer"), source);
  t->pre_tokenizer_ = PreTokenizer::from_json(field("pre_tokenizer"), source);
  t->model_ = std::make_unique<BpeModel>(BpeModel::from_json(field("model"), source));
  t->decoder_ = Decoder::from_json(field("decoder"), source);
  t->added_ = std::make_unique<AddedVocabulary>();
  if (j.contains("added_tokens") && !j.at("added_tokens").is_null()) {
    if (!j.at("added_tokens").is_array()) throw make_error(ErrorKind::kInvalidInput, source, "\"added_tokens\" is not a list");
    size_t index = 0;
    for (const auto& a : j.at("added_tokens")) {
      if (!a.is_object() || !a.contains("id") || !a.at("id").is_number_integer() || a.at("id").get<int64_t>() < 0 ||
          !a.contains("content") || !a.at("content").is_string())
        throw make_error(ErrorKind::kInvalidInput, source, "added_tokens[" + std::to_string(index) + "] needs an integer id and a string content");
      AddedToken tok;
      tok.id = a.at("id").get<int64_t>();
      tok.content = a.at("content").get<std::string>();
      auto b = [&](const char* k, bool fallback) { return a.contains(k) && a.at(k).is_boolean() ? a.at(k).get<bool>() : fallback; };
      tok.special = b("special", false);
      tok.single_word = b("single_word", false);
      tok.lstrip = b("lstrip", false);
      tok.rstrip = b("rstrip", false);
      tok.normalized = b("normalized", !tok.special);
      t->added_->add(tok, t->normalizer_->empty() ? nullptr : t->normalizer_.get());
      ++index;
    }
  }

  // Post-processor: TemplateProcessing's "single", Bert/Roberta's cls + A + sep; ByteLevel changes no ids.
  std::function<void(const nlohmann::json&)> post = [&](const nlohmann::json& p) {
    if (p.is_null()) return;
    const std::string type = p.contains("type") && p.at("type").is_string() ? p.at("type").get<std::string>() : "";
    if (type == "Sequence") {
      if (p.contains("processors") && p.at("processors").is_array())
        for (const auto& c : p.at("processors")) post(c);
    } else if (type == "ByteLevel") {
    } else if (type == "TemplateProcessing") {
      if (!p.contains("single") || !p.at("single").is_array())
        throw make_error(ErrorKind::kInvalidInput, source, "TemplateProcessing has no \"single\" template");
      const auto specials = p.contains("special_tokens") ? p.at("special_tokens") : nlohmann::json::object();
      t->template_.clear();
      for (const auto& item : p.at("single")) {
        if (item.contains("Sequence")) {
          t->template_.push_back({true, {}});
        } else if (item.contains("SpecialToken") && item.at("SpecialToken").contains("id")) {
          const std::string name = item.at("SpecialToken").at("id").get<std::string>();
          if (!specials.contains(name) || !specials.at(name).contains("ids") || !specials.at(name).at("ids").is_array())
            throw make_error(ErrorKind::kInvalidInput, source, "TemplateProcessing uses special token '" + name + "' without ids");
          std::vector<int64_t> ids;
          for (const auto& id : specials.at(name).at("ids")) {
            if (!id.is_number_integer())
              throw make_error(ErrorKind::kInvalidInput, source, "special token '" + name + "' has a non-integer id " + id.dump());
            ids.push_back(id.get<int64_t>());
          }
          t->template_.push_back({false, std::move(ids)});
        } else {
          throw make_error(ErrorKind::kInvalidInput, source, "TemplateProcessing item " + item.dump() + " is neither Sequence nor SpecialToken");
        }
      }
    } else if (type == "BertProcessing" || type == "RobertaProcessing") {
      auto id_of = [&](const char* k) {
        if (!p.contains(k) || !p.at(k).is_array() || p.at(k).size() != 2 || !p.at(k)[1].is_number_integer())
          throw make_error(ErrorKind::kInvalidInput, source, type + " needs \"" + k + "\": [token, id]");
        return p.at(k)[1].get<int64_t>();
      };
      t->template_ = {{false, {id_of("cls")}}, {true, {}}, {false, {id_of("sep")}}};
    } else {
      throw make_error(ErrorKind::kUnsupported, source,
                       "post_processor '" + type + "' is not supported (TemplateProcessing, ByteLevel, Bert/RobertaProcessing, Sequence are)");
    }
  };
  post(field("post_processor"));

  const std::string bos = config_token(config, "bos_token"), eos = config_token(config, "eos_token");
  t->bos_id_ = bos.empty() ? -1 : t->token_id(bos);
  t->eos_id_ = eos.empty() ? -1 : t->token_id(eos);
  const bool has_add_bos = config.is_object() && config.contains("add_bos_token") && config.at("add_bos_token").is_boolean();
  const bool has_add_eos = config.is_object() && config.contains("add_eos_token") && config.at("add_eos_token").is_boolean();
  if (has_add_bos || has_add_eos) {
    // transformers rebuilds the template from these flags (bos? A eos?).
    bool add_bos = false, add_eos = false;
    for (const auto& item : t->template_) {
      if (item.sequence) continue;
      if (item.ids.size() == 1 && item.ids[0] == t->bos_id_) add_bos = true;
      if (item.ids.size() == 1 && item.ids[0] == t->eos_id_) add_eos = true;
    }
    if (has_add_bos) add_bos = config.at("add_bos_token").get<bool>();
    if (has_add_eos) add_eos = config.at("add_eos_token").get<bool>();
    t->template_.clear();
    if (add_bos && t->bos_id_ >= 0) t->template_.push_back({false, {t->bos_id_}});
    t->template_.push_back({true, {}});
    if (add_eos && t->eos_id_ >= 0) t->template_.push_back({false, {t->eos_id_}});
  }
  const bool byte_level = mentions_type(field("pre_tokenizer"), "ByteLevel") || mentions_type(field("decoder"), "ByteLevel");
  t->kind_ = byte_level ? "tokenizer.json byte-level BPE" : "tokenizer.json BPE";
  return t;
} catch (const nlohmann::json::exception& e) {
  throw make_error(ErrorKind::kInvalidInput, source, std::string("malformed: ") + e.what());
}

int64_t HfTokenizer::token_id(const std::string& token) const {
  if (const auto* a = added_->by_content(token)) return a->id;
  return model_->id(token);
}

void HfTokenizer::encode_segment(const std::string& text, bool at_start, std::vector<int64_t>& out) const {
  std::vector<PreToken> pieces{{text, at_start}};
  if (pre_tokenizer_) pre_tokenizer_->apply(pieces);
  for (const auto& p : pieces) model_->tokenize(p.text, out);
}

std::vector<int64_t> HfTokenizer::encode_text(const std::string& raw, bool add_special, bool parse_special) const {
  const std::string text = utf8::repair(raw);
  std::vector<int64_t> ids;
  for (const auto& seg : added_->split_raw(text, parse_special)) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    Segment normalized{normalizer_->apply(seg.text), -1, seg.at_start};
    for (const auto& sub : added_->split_normalized(normalized, parse_special)) {
      if (sub.id >= 0) ids.push_back(sub.id);
      else encode_segment(sub.text, sub.at_start, ids);
    }
  }
  if (!add_special || template_.empty()) return ids;
  std::vector<int64_t> out;
  out.reserve(ids.size() + 4);
  for (const auto& item : template_) {
    if (item.sequence) out.insert(out.end(), ids.begin(), ids.end());
    else out.insert(out.end(), item.ids.begin(), item.ids.end());
  }
  return out;
}

std::vector<int64_t> HfTokenizer::encode(const std::string& text, bool add_special) const {
  return encode_text(text, add_special, /*parse_special=*/true);
}

std::string HfTokenizer::decode_tokens(const std::vector<int64_t>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    if (const auto* a = added_->by_id(id)) {
      if (!(skip_special && a->special)) tokens.push_back(a->content);
    } else if (id >= 0 && id < model_->size() && !model_->token(id).empty()) {
      tokens.push_back(model_->token(id));
    }
  }
  if (!decoder_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  return decoder_->decode(std::move(tokens));
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids) const { return decode_tokens(ids, /*skip_special=*/true); }

std::string HfTokenizer::piece(int64_t id) const {
  if (const auto* a = added_->by_id(id)) return a->content;
  return model_->token(id);
}

float HfTokenizer::score(int64_t id) const {
  return id >= 0 && static_cast<size_t>(id) < sp_scores_.size() ? sp_scores_[static_cast<size_t>(id)] : 0.0f;
}

int HfTokenizer::token_type(int64_t id) const {
  if (id >= 0 && static_cast<size_t>(id) < sp_types_.size()) return sp_types_[static_cast<size_t>(id)];
  if (const auto* a = added_->by_id(id)) return a->special ? 3 : 4;
  if (id < 0 || id >= model_->size()) return 5;
  if (id == model_->unk_id()) return 2;
  const std::string& t = model_->token(id);
  if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') return 6;
  return 1;
}

int64_t HfTokenizer::vocab_size() const {
  int64_t n = model_->size();
  for (const auto& a : added_->tokens()) n = std::max(n, a.id + 1);
  return n;
}

}  // namespace irq
