// ModelProto wire parsing (fields: pieces = 1 {piece = 1, score = 2,
// type = 3}, trainer_spec = 2 {model_type = 3}) and the LlamaTokenizer
// pipeline as tokenizer.json, handed to HfTokenizer.
#include "text/sentencepiece_conversion.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/text_file.h"
#include "text/hf_tokenizer.h"
#include "text/utf8.h"

namespace irq {

namespace {

struct Wire {
  const std::string& s;
  size_t pos, end;
  const std::string& source;

  Error bad(const std::string& what) const { return make_error(ErrorKind::kInvalidInput, source, "not a sentencepiece model: " + what); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) throw bad("truncated varint");
      const auto b = static_cast<unsigned char>(s[pos++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    throw bad("varint too long");
  }
  // Next field: (number, wire type); for length-delimited, [*b, *e) is the payload.
  bool next(uint32_t* field, int* type, size_t* b, size_t* e, uint64_t* value) {
    if (pos >= end) return false;
    const uint64_t key = varint();
    *field = static_cast<uint32_t>(key >> 3);
    *type = static_cast<int>(key & 7);
    switch (*type) {
      case 0: *value = varint(); break;
      case 1: if (end - pos < 8) throw bad("truncated fixed64"); pos += 8; break;
      case 2: {
        const uint64_t n = varint();
        if (n > end - pos) throw bad("field longer than the file");
        *b = pos;
        *e = pos + n;
        pos += n;
        break;
      }
      case 5: {
        if (end - pos < 4) throw bad("truncated fixed32");
        uint32_t bits;
        std::memcpy(&bits, s.data() + pos, 4);
        *value = bits;
        pos += 4;
        break;
      }
      default: throw bad("unknown wire type " + std::to_string(*type));
    }
    return true;
  }
};

std::string read_file(const std::filesystem::path& p) { return read_text_file(p, size_t{256} << 20, "the tokenizer model"); }

}  // namespace

SentencePieceModel SentencePieceModel::parse(const std::string& bytes, const std::string& source) {
  SentencePieceModel m;
  Wire top{bytes, 0, bytes.size(), source};
  uint32_t field;
  int type;
  size_t b = 0, e = 0;
  uint64_t value = 0;
  while (top.next(&field, &type, &b, &e, &value)) {
    if (field == 1 && type == 2) {
      Wire w{bytes, b, e, source};
      Piece p;
      uint32_t f;
      int t;
      size_t pb = 0, pe = 0;
      uint64_t v = 0;
      while (w.next(&f, &t, &pb, &pe, &v)) {
        if (f == 1 && t == 2) p.text = bytes.substr(pb, pe - pb);
        else if (f == 2 && t == 5) {
          const auto bits = static_cast<uint32_t>(v);
          std::memcpy(&p.score, &bits, 4);
        } else if (f == 3 && t == 0) p.type = static_cast<int>(v);
      }
      m.pieces.push_back(std::move(p));
    } else if (field == 2 && type == 2) {
      Wire w{bytes, b, e, source};
      uint32_t f;
      int t;
      size_t pb = 0, pe = 0;
      uint64_t v = 0;
      while (w.next(&f, &t, &pb, &pe, &v))
        if (f == 3 && t == 0) m.model_type = static_cast<int>(v);
    }
  }
  if (m.pieces.empty()) throw top.bad("no pieces");
  return m;
}

std::vector<std::pair<std::string, std::string>> generate_merges(const std::vector<std::string>& pieces) {
  std::unordered_map<std::string, int64_t> vocab;
  for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = static_cast<int64_t>(i);  // a repeated piece: the last id
  struct Merge {
    std::string l, r;
    int64_t score;
    size_t ll, lr;
  };
  std::vector<Merge> merges;
  // Iterate the dict as Python does: insertion order of first occurrence, value = last id.
  std::unordered_map<std::string, bool> seen;
  for (const auto& piece : pieces) {
    if (seen.count(piece)) continue;
    seen[piece] = true;
    const int64_t score = vocab[piece];
    std::vector<Merge> local;
    for (size_t i = 0; i < piece.size();) {
      i += utf8::sequence_length(static_cast<unsigned char>(piece[i]));
      if (i >= piece.size()) break;
      std::string l = piece.substr(0, i), r = piece.substr(i);
      if (vocab.count(l) && vocab.count(r)) local.push_back({l, r, score, utf8::count_code_points(l), utf8::count_code_points(r)});
    }
    std::stable_sort(local.begin(), local.end(), [&](const Merge& a, const Merge& b) {
      return std::make_pair(vocab[a.l], vocab[a.r]) < std::make_pair(vocab[b.l], vocab[b.r]);
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
    return std::tie(a.score, a.ll, a.lr) < std::tie(b.score, b.ll, b.lr);
  });
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (auto& m : merges) out.emplace_back(std::move(m.l), std::move(m.r));
  return out;
}

std::unique_ptr<HfTokenizer> convert_sentencepiece(const std::filesystem::path& model_file, const nlohmann::json& config) {
  const std::string source = model_file.string();
  std::string cls;
  if (config.is_object() && config.contains("tokenizer_class") && config.at("tokenizer_class").is_string())
    cls = config.at("tokenizer_class").get<std::string>();
  if (!cls.empty() && cls != "LlamaTokenizer" && cls != "LlamaTokenizerFast") return nullptr;
  const auto sp = SentencePieceModel::parse(read_file(model_file), source);
  if (sp.model_type != 2) return nullptr;  // transformers builds a Unigram model: not this converter

  auto flag = [&](const char* k, bool fallback) {
    return config.is_object() && config.contains(k) && config.at(k).is_boolean() ? config.at(k).get<bool>() : fallback;
  };
  auto token = [&](const char* k, const std::string& fallback) {
    if (!config.is_object() || !config.contains(k)) return fallback;
    const auto& v = config.at(k);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
    return fallback;
  };
  const bool legacy = flag("legacy", false);  // LlamaTokenizer(legacy=False) unless the config says otherwise
  const bool add_prefix_space = flag("add_prefix_space", true);
  const std::string prepend = !add_prefix_space ? "never" : legacy ? "always" : "first";

  std::vector<std::string> pieces;
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < sp.pieces.size(); ++i) {
    pieces.push_back(sp.pieces[i].text);
    vocab[sp.pieces[i].text] = i;
  }
  nlohmann::json merges = nlohmann::json::array();
  for (auto& [l, r] : generate_merges(pieces)) merges.push_back({l, r});

  nlohmann::json added = nlohmann::json::array();
  auto add = [&](int64_t id, const std::string& content, bool special) {
    for (const auto& a : added)
      if (a["id"] == id) return;
    added.push_back({{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", special}});
  };
  const std::string unk = token("unk_token", "<unk>"), bos = token("bos_token", "<s>"), eos = token("eos_token", "</s>");
  for (const auto& name : {unk, bos, eos})
    if (vocab.contains(name)) add(vocab[name].get<int64_t>(), name, true);
  for (size_t i = 0; i < sp.pieces.size(); ++i)
    if (sp.pieces[i].type == 3 || sp.pieces[i].type == 4) add(static_cast<int64_t>(i), sp.pieces[i].text, sp.pieces[i].type == 3);

  nlohmann::json decoders = nlohmann::json::array({{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                                                   {{"type", "ByteFallback"}}, {{"type", "Fuse"}}});
  if (add_prefix_space) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  nlohmann::json j = {
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", prepend}, {"split", false}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "Sequence"}, {"decoders", decoders}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"fuse_unk", true}, {"byte_fallback", true}, {"unk_token", nullptr}}},
  };
  // LlamaTokenizer's post-processor: bos? $A eos? from add_bos_token (true) / add_eos_token (false).
  nlohmann::json cfg = config.is_object() ? config : nlohmann::json::object();
  cfg["bos_token"] = bos;
  cfg["eos_token"] = eos;
  // transformers 5 adds no BOS when add_bos_token is absent; LLaMA models are
  // trained with it and transformers 4 (what the IR-QLoRA reference ran) added
  // it, so absent means true here (README, "Tokenizers").
  cfg["add_bos_token"] = flag("add_bos_token", true);
  cfg["add_eos_token"] = flag("add_eos_token", false);
  auto t = HfTokenizer::from_json(j, cfg, source);
  std::vector<float> scores;
  std::vector<int> types;
  for (const auto& p : sp.pieces) {
    scores.push_back(p.score);
    types.push_back(p.type);
  }
  t->set_sentencepiece_info(std::move(scores), std::move(types));
  return t;
}

}  // namespace irq
