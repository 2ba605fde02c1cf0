// BPE: symbols of a word merged through a min-heap of (rank, position).
#include "text/bpe_model.h"

#include <atomic>
#include <cstdio>
#include <queue>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "text/utf8.h"

namespace irq {

namespace {

uint64_t pair_key(int64_t a, int64_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint64_t>(b); }

constexpr size_t kMaxCachedWordBytes = 256;  // tokenizers' MAX_LENGTH
constexpr size_t kCacheCapacity = 10000;     // tokenizers' DEFAULT_CACHE_CAPACITY

struct WordCache {
  uint64_t owner = 0;
  std::unordered_map<std::string, std::vector<int64_t>> words;
};

std::atomic<uint64_t> g_next_cache_id{1};

}  // namespace

BpeModel::BpeModel(std::unordered_map<std::string, int64_t> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                   const std::string& source, std::string prefix)
    : continuing_subword_prefix(std::move(prefix)), vocab_(std::move(vocab)), cache_id_(g_next_cache_id++) {
  int64_t max_id = -1;
  for (const auto& [t, id] : vocab_) {
    if (id < 0 || id > 0x7FFFFFFF) throw make_error(ErrorKind::kInvalidInput, source, "vocab id " + std::to_string(id) + " of '" + t + "' is out of range");
    max_id = std::max(max_id, id);
  }
  id_to_token_.resize(static_cast<size_t>(max_id + 1));
  for (const auto& [t, id] : vocab_) id_to_token_[static_cast<size_t>(id)] = t;
  byte_ids_.assign(256, -1);
  for (int b = 0; b < 256; ++b) {
    char code[8];
    std::snprintf(code, sizeof code, "<0x%02X>", b);
    byte_ids_[b] = id(code);
  }
  merges_.reserve(merges.size() * 2);
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const int64_t ia = id(a), ib = id(b);
    if (ia < 0 || ib < 0)
      throw make_error(ErrorKind::kInvalidInput, source, "merge " + std::to_string(rank) + " ('" + a + "', '" + b + "') uses a token that is not in the vocab");
    // tokenizers: the merged token drops the right part's continuing_subword_prefix.
    const std::string merged = a + b.substr(std::min(b.size(), continuing_subword_prefix.size()));
    const int64_t im = id(merged);
    if (im < 0) throw make_error(ErrorKind::kInvalidInput, source, "merge " + std::to_string(rank) + " gives '" + merged + "', which is not in the vocab");
    merges_[pair_key(ia, ib)] = {static_cast<int32_t>(rank), static_cast<int32_t>(im)};  // a repeated pair: the last wins, as there
  }
}

void BpeModel::set_unk(const std::string& token, const std::string& source) {
  unk_token = token;
  unk_id_ = token.empty() ? -1 : id(token);
  if (!token.empty() && unk_id_ < 0) throw make_error(ErrorKind::kInvalidInput, source, "unk_token '" + token + "' is not in the vocab");
}

const std::string& BpeModel::token(int64_t i) const {
  static const std::string none;
  return i >= 0 && i < size() ? id_to_token_[static_cast<size_t>(i)] : none;
}

int64_t BpeModel::id(const std::string& t) const {
  auto it = vocab_.find(t);
  return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::tokenize(std::string_view word, std::vector<int64_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges) {
    if (auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  thread_local WordCache cache;
  if (cache.owner != cache_id_) {
    cache.owner = cache_id_;
    cache.words.clear();
  }
  const bool cacheable = word.size() < kMaxCachedWordBytes;
  if (cacheable) {
    if (auto it = cache.words.find(std::string(word)); it != cache.words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int64_t> ids;
  merge_word(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable && cache.words.size() < kCacheCapacity) cache.words.emplace(std::string(word), std::move(ids));
}

void BpeModel::merge_word(std::string_view w, std::vector<int64_t>& out) const {
  struct Symbol {
    int64_t id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> sym;
  sym.reserve(w.size());
  auto add = [&](int64_t id) { sym.push_back({id, static_cast<int>(sym.size()) - 1, -1, true}); };
  bool have_unk = false;
  for (size_t i = 0; i < w.size();) {
    size_t n = utf8::sequence_length(static_cast<unsigned char>(w[i]));
    if (i + n > w.size()) n = w.size() - i;
    std::string s(w.substr(i, n));
    const bool first = i == 0, last = i + n >= w.size();
    i += n;
    if (!first && !continuing_subword_prefix.empty()) s = continuing_subword_prefix + s;
    if (last && !end_of_word_suffix.empty()) s += end_of_word_suffix;
    if (auto it = vocab_.find(s); it != vocab_.end()) {
      if (have_unk) add(unk_id_), have_unk = false;
      add(it->second);
      continue;
    }
    if (byte_fallback) {
      bool all = true;
      for (unsigned char b : s) all = all && byte_ids_[b] >= 0;
      if (all) {  // tokenizers adds these before a pending unk (kept as it does)
        for (unsigned char b : s) add(byte_ids_[b]);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (have_unk && !fuse_unk) add(unk_id_);
      have_unk = true;
    }
  }
  if (have_unk) add(unk_id_);
  for (size_t k = 0; k < sym.size(); ++k) sym[k].next = k + 1 < sym.size() ? static_cast<int>(k + 1) : -1;

  struct Merge {
    int32_t rank;
    int pos;
    int32_t new_id;
    bool operator>(const Merge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Merge, std::vector<Merge>, std::greater<Merge>> queue;
  auto push = [&](int pos) {
    const int nx = sym[static_cast<size_t>(pos)].next;
    if (nx < 0) return;
    auto it = merges_.find(pair_key(sym[static_cast<size_t>(pos)].id, sym[static_cast<size_t>(nx)].id));
    if (it != merges_.end()) queue.push({it->second.first, pos, it->second.second});
  };
  for (size_t k = 0; k + 1 < sym.size(); ++k) push(static_cast<int>(k));
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    Symbol& left = sym[static_cast<size_t>(top.pos)];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = sym[static_cast<size_t>(left.next)];
    auto it = merges_.find(pair_key(left.id, right.id));
    if (it == merges_.end() || it->second.second != top.new_id) continue;  // stale entry
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) sym[static_cast<size_t>(right.next)].prev = top.pos;
    if (left.prev >= 0) push(left.prev);
    push(top.pos);
  }
  for (const auto& s : sym)
    if (s.alive) out.push_back(s.id);
}

BpeModel BpeModel::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw make_error(ErrorKind::kInvalidInput, source, "has no \"model\" object");
  const std::string type = j.contains("type") && j.at("type").is_string() ? j.at("type").get<std::string>() : "BPE";
  if (type != "BPE")
    throw make_error(ErrorKind::kUnsupported, source, "model type '" + type + "' is not supported (BPE is; WordPiece, Unigram and WordLevel are not)");
  if (j.contains("dropout") && j.at("dropout").is_number() && j.at("dropout").get<double>() > 0)
    throw make_error(ErrorKind::kUnsupported, source, "BPE dropout makes encoding random; set \"dropout\": null");
  if (!j.contains("vocab") || !j.at("vocab").is_object()) throw make_error(ErrorKind::kInvalidInput, source, "model has no \"vocab\" object");
  std::unordered_map<std::string, int64_t> vocab;
  vocab.reserve(j.at("vocab").size() * 2);
  for (const auto& [t, id] : j.at("vocab").items()) {
    if (!id.is_number_integer()) throw make_error(ErrorKind::kInvalidInput, source, "vocab entry '" + t + "' has no integer id");
    vocab.emplace(t, id.get<int64_t>());
  }
  std::vector<std::pair<std::string, std::string>> merges;
  if (j.contains("merges") && j.at("merges").is_array()) {
    merges.reserve(j.at("merges").size());
    size_t index = 0;
    for (const auto& m : j.at("merges")) {
      if (m.is_string()) {  // "a b"
        const std::string s = m.get<std::string>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          throw make_error(ErrorKind::kInvalidInput, source, "merge " + std::to_string(index) + " '" + s + "' is not two tokens");
        merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      } else {
        throw make_error(ErrorKind::kInvalidInput, source, "merge " + std::to_string(index) + " is neither \"a b\" nor [\"a\", \"b\"]");
      }
      ++index;
    }
  }
  auto str_or = [&](const char* k) { return j.contains(k) && j.at(k).is_string() ? j.at(k).get<std::string>() : std::string(); };
  auto bool_or = [&](const char* k) { return j.contains(k) && j.at(k).is_boolean() && j.at(k).get<bool>(); };
  BpeModel model(std::move(vocab), merges, source, str_or("continuing_subword_prefix"));
  model.end_of_word_suffix = str_or("end_of_word_suffix");
  model.byte_fallback = bool_or("byte_fallback");
  model.fuse_unk = bool_or("fuse_unk");
  model.ignore_merges = bool_or("ignore_merges");
  model.set_unk(str_or("unk_token"), source);
  return model;
}

}  // namespace irq
