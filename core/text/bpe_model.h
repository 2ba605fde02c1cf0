// The BPE model of a Hugging Face tokenizer.json (tokenizers'
// models/bpe/model.rs and word.rs): vocab, ranked merges applied lowest rank
// first (leftmost on ties), continuing_subword_prefix / end_of_word_suffix,
// byte_fallback to <0xXX> tokens, unk with fuse_unk, ignore_merges (a word
// that is itself in the vocab is one token), and a per-thread word cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

class BpeModel {
 public:
  // `j` is tokenizer.json's "model" (type BPE); throws naming `source`.
  static BpeModel from_json(const nlohmann::json& j, const std::string& source);
  // vocab: token -> id; merges: (left, right) in rank order.
  BpeModel(std::unordered_map<std::string, int64_t> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
           const std::string& source, std::string continuing_subword_prefix = "");

  void tokenize(std::string_view word, std::vector<int64_t>& out) const;  // appends ids

  const std::string& token(int64_t id) const;  // "" when out of range
  int64_t id(const std::string& token) const;  // -1 when absent
  int64_t size() const { return static_cast<int64_t>(id_to_token_.size()); }
  int64_t unk_id() const { return unk_id_; }
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
  std::string unk_token;  // "" = none
  std::string continuing_subword_prefix, end_of_word_suffix;  // the prefix is fixed at construction (merges use it)
  void set_unk(const std::string& token, const std::string& source);
  uint64_t cache_id() const { return cache_id_; }

 private:
  void merge_word(std::string_view word, std::vector<int64_t>& out) const;
  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::string> id_to_token_;
  struct PairHash {
    size_t operator()(uint64_t k) const { return static_cast<size_t>(k * 0x9E3779B97F4A7C15ull >> 17); }
  };
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>, PairHash> merges_;  // (a << 32 | b) -> (rank, new id)
  std::vector<int64_t> byte_ids_;  // <0xXX> ids, -1 when missing
  int64_t unk_id_ = -1;
  uint64_t cache_id_ = 0;
};

}  // namespace irq
