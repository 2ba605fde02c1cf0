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
  virtual std::string piece(int64_t id) const = 0;  // the raw vocabulary entry
  // The piece's score, and its kind as GGUF's tokenizer.ggml.token_type
  // numbers it: 1 normal, 2 unknown, 3 control, 5 unused, 6 byte.
  virtual float score(int64_t id) const = 0;
  virtual int token_type(int64_t id) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t bos_id() const = 0;
  virtual int64_t eos_id() const = 0;
  virtual std::string kind() const = 0;  // "sentencepiece"
};

// tokenizer.model (sentencepiece) in `dir`. Throws Error(kNotFound) naming the
// directory when there is none, Error(kInvalidInput) naming the file when it
// does not parse, Error(kUnsupported) for a tokenizer.json-only directory.
std::unique_ptr<Tokenizer> open_tokenizer(const std::filesystem::path& dir);

}  // namespace irq
