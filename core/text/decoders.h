// The decoder stage of a Hugging Face tokenizer.json (tokenizers'
// decoders/*.rs): ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip
// and Sequence, each a decode_chain over the token strings; the result is
// their concatenation. Unknown types are refused naming the file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::vector<std::string> chain(std::vector<std::string> tokens) const = 0;
  std::string decode(std::vector<std::string> tokens) const;
  // `j` is tokenizer.json's "decoder" (null: nullptr; tokens are then joined with spaces).
  static std::unique_ptr<Decoder> from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace irq
