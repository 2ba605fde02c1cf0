// open_tokenizer(): a model directory's tokenizer, chosen as transformers'
// AutoTokenizer chooses it (tokenizer.json, else tokenizer.model converted
// as LlamaTokenizer does, else libsentencepiece for models that converter
// does not take, such as unigram ones).
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "text/hf_tokenizer.h"
#include "text/sentencepiece_conversion.h"
#include "text/sentencepiece_tokenizer.h"

namespace irq {

namespace fs = std::filesystem;

std::unique_ptr<Tokenizer> open_tokenizer(const fs::path& dir) {
  if (fs::exists(dir / "tokenizer.json")) return HfTokenizer::from_dir(dir);
  const fs::path model = dir / "tokenizer.model";
  if (!fs::exists(model))
    throw make_error(ErrorKind::kNotFound, dir.string(), "no tokenizer: neither tokenizer.json nor tokenizer.model is there");
  nlohmann::json config;
  if (fs::exists(dir / "tokenizer_config.json")) config = read_tokenizer_json(dir / "tokenizer_config.json");
  if (auto converted = convert_sentencepiece(model, config)) {
    converted->set_kind("sentencepiece BPE (as transformers converts it)");
    return converted;
  }
  return SentencePieceTokenizer::from_file(model);
}

}  // namespace irq
