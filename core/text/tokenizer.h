// Tokenizer interface of the engine and the lookup of a model directory's
// tokenizer. LLaMA semantics: encode() prepends BOS when asked, decode()
// drops control tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace irq {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int64_t> encode(const std::string& text, bool add_bos) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  // add_special: the tokens the tokenizer's own config adds (BOS for LLaMA,
  // nothing for GPT-2 / Qwen2). parse_special: special tokens written in the
  // text become their ids (Hugging Face's default); off, they stay text.
  virtual std::vector<int64_t> encode_text(const std::string& text, bool add_special, bool parse_special) const {
    return encode(text, add_special);
  }
  virtual std::string decode_tokens(const std::vector<int64_t>& ids, bool skip_special) const { return decode(ids); }
  // Whether score() / token_type() are a sentencepiece model's own (what a
  // GGUF "llama" vocabulary needs); false for a tokenizer.json BPE.
  virtual bool has_sentencepiece_scores() const { return true; }
  virtual std::string piece(int64_t id) const = 0;  // the raw vocabulary entry
  // The piece's score, and its kind as GGUF's tokenizer.ggml.token_type
  // numbers it: 1 normal, 2 unknown, 3 control, 5 unused, 6 byte.
  virtual float score(int64_t id) const = 0;
  virtual int token_type(int64_t id) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t bos_id() const = 0;
  virtual int64_t eos_id() const = 0;
  virtual std::string kind() const = 0;  // "sentencepiece", "tokenizer.json byte-level BPE", ...
};

// The tokenizer of a model directory, as transformers' AutoTokenizer picks
// it: tokenizer.json (text/hf_tokenizer.h) when present, else
// tokenizer.model (sentencepiece). Throws Error(kNotFound) naming the
// directory when there is neither, Error(kInvalidInput) / kUnsupported
// naming the file and the component when it cannot be used.
std::unique_ptr<Tokenizer> open_tokenizer(const std::filesystem::path& dir);

}  // namespace irq
