// A Hugging Face tokenizer.json (the `tokenizers` library's pipeline):
// added tokens split out -> normalizer -> pre-tokenizer -> BPE -> template
// post-processor, and ids -> tokens -> decoder. tokenizer_config.json, when
// present, gives bos/eos and add_bos_token / add_eos_token (which rebuild the
// template as transformers' LlamaTokenizerFast does). Parity with the PyPI
// `tokenizers` package is tested on committed fixtures (tests/core/
// test_hf_tokenizer.cpp) and on ../shared corpora (scripts/checks/).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "text/tokenizer.h"

namespace irq {

class AddedVocabulary;
class BpeModel;
class Decoder;
class Normalizer;
class PreTokenizer;

// A JSON file of the tokenizer family (tokenizer.json, tokenizer_config.json),
// size-limited; errors name the file.
nlohmann::json read_tokenizer_json(const std::filesystem::path& path);

class HfTokenizer final : public Tokenizer {
 public:
  // `dir`/tokenizer.json (+ tokenizer_config.json). Errors name the file
  // and the component.
  static std::unique_ptr<HfTokenizer> from_dir(const std::filesystem::path& dir);
  // From parsed JSON; `config` may be null. `source` names the file in errors.
  static std::unique_ptr<HfTokenizer> from_json(const nlohmann::json& tokenizer, const nlohmann::json& config,
                                                const std::string& source);
  ~HfTokenizer() override;

  std::vector<int64_t> encode(const std::string& text, bool add_special) const override;
  std::vector<int64_t> encode_text(const std::string& text, bool add_special, bool parse_special) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string decode_tokens(const std::vector<int64_t>& ids, bool skip_special) const override;
  std::string piece(int64_t id) const override;
  float score(int64_t id) const override;
  int token_type(int64_t id) const override;
  int64_t vocab_size() const override;
  int64_t bos_id() const override { return bos_id_; }
  int64_t eos_id() const override { return eos_id_; }
  std::string kind() const override { return kind_; }
  void set_kind(std::string kind) { kind_ = std::move(kind); }
  // A converted tokenizer.model keeps its pieces' scores and types (GGUF export).
  void set_sentencepiece_info(std::vector<float> scores, std::vector<int> types) {
    sp_scores_ = std::move(scores);
    sp_types_ = std::move(types);
  }
  bool has_sentencepiece_scores() const override { return !sp_scores_.empty(); }

 private:
  HfTokenizer();
  void encode_segment(const std::string& text, bool at_start, std::vector<int64_t>& out) const;
  int64_t token_id(const std::string& token) const;  // added vocabulary, then the model; -1

  std::unique_ptr<AddedVocabulary> added_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Decoder> decoder_;
  struct TemplateItem {
    bool sequence = false;        // the text's ids
    std::vector<int64_t> ids;     // a special token's ids
  };
  std::vector<TemplateItem> template_;  // empty: ids unchanged
  int64_t bos_id_ = -1, eos_id_ = -1;
  std::string kind_;
  std::vector<float> sp_scores_;
  std::vector<int> sp_types_;
};

}  // namespace irq
