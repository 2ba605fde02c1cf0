// A tokenizer.model-only LLaMA folder tokenized as transformers'
// AutoTokenizer does it (transformers 5: LlamaTokenizer built from the
// sentencepiece model by SentencePieceExtractor + generate_merges in
// tokenization_utils_base.py), so prompts get the reference pipeline's ids:
// BPE over the model's pieces with merges generated from the vocabulary,
// byte_fallback, Metaspace (prepend "always", or "first" when
// tokenizer_config.json has legacy: false; "never" with add_prefix_space:
// false), no normalizer — so, unlike libsentencepiece with
// remove_extra_whitespaces, runs of spaces are kept — and BOS by
// add_bos_token (default true). Control and user-defined pieces are added
// tokens, as the extractor makes them.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json_fwd.hpp>

namespace irq {

class HfTokenizer;

// The pieces of a sentencepiece ModelProto (wire format read directly).
struct SentencePieceModel {
  struct Piece {
    std::string text;
    float score = 0;
    int type = 1;  // 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte
  };
  std::vector<Piece> pieces;
  int model_type = 1;  // trainer_spec.model_type: 1 unigram, 2 BPE, 3 word, 4 char
  static SentencePieceModel parse(const std::string& bytes, const std::string& source);
};

// Null when transformers would not build a LlamaTokenizer from this model
// (a unigram model, or another tokenizer_class): the caller then uses
// libsentencepiece. `config` is tokenizer_config.json (or null).
std::unique_ptr<HfTokenizer> convert_sentencepiece(const std::filesystem::path& model_file, const nlohmann::json& config);

// transformers' generate_merges(vocab) without scores: every split of every
// piece into two pieces, ordered by (merged id, left length, right length).
std::vector<std::pair<std::string, std::string>> generate_merges(const std::vector<std::string>& pieces);

}  // namespace irq
