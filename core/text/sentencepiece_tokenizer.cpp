// libsentencepiece wrapper and the tokenizer lookup of a model directory.
#include "text/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>


#include "common/error.h"
#include "io/text_file.h"

namespace irq {

namespace fs = std::filesystem;

SentencePieceTokenizer::SentencePieceTokenizer() : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_bytes(const std::string& serialized,
                                                                           const std::string& label) {
  std::unique_ptr<SentencePieceTokenizer> t(new SentencePieceTokenizer());
  const auto status = t->sp_->LoadFromSerializedProto(serialized);
  if (!status.ok())
    throw make_error(ErrorKind::kInvalidInput, label, "not a sentencepiece model: " + std::string(status.message()));
  return t;
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_file(const fs::path& path) {
  // Llama 2's model is 500 KB, Gemma's 4 MB: 256 MiB bounds any real one.
  return from_bytes(read_text_file(path, size_t{256} << 20, "the tokenizer model"), path.string());
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text, bool add_bos) const {
  std::vector<int> ids;
  const auto status = sp_->Encode(text, &ids);
  if (!status.ok()) throw make_error(ErrorKind::kInvalidInput, "tokenizer", std::string(status.message()));
  std::vector<int64_t> out;
  out.reserve(ids.size() + 1);
  if (add_bos && bos_id() >= 0) out.push_back(bos_id());
  out.insert(out.end(), ids.begin(), ids.end());
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> v;
  for (int64_t id : ids)
    if (id >= 0 && id < vocab_size() && !sp_->IsControl(static_cast<int>(id))) v.push_back(static_cast<int>(id));
  std::string text;
  const auto status = sp_->Decode(v, &text);
  if (!status.ok()) throw make_error(ErrorKind::kInvalidInput, "tokenizer", std::string(status.message()));
  return text;
}

std::string SentencePieceTokenizer::piece(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  return sp_->IdToPiece(static_cast<int>(id));
}

float SentencePieceTokenizer::score(int64_t id) const {
  return id < 0 || id >= vocab_size() ? 0.0f : sp_->GetScore(static_cast<int>(id));
}

int SentencePieceTokenizer::token_type(int64_t id) const {
  const int i = static_cast<int>(id);
  if (id < 0 || id >= vocab_size()) return 5;
  if (sp_->IsUnknown(i)) return 2;
  if (sp_->IsControl(i)) return 3;
  if (sp_->IsUnused(i)) return 5;
  if (sp_->IsByte(i)) return 6;
  return 1;
}

int64_t SentencePieceTokenizer::vocab_size() const { return sp_->GetPieceSize(); }
int64_t SentencePieceTokenizer::bos_id() const { return sp_->bos_id(); }
int64_t SentencePieceTokenizer::eos_id() const { return sp_->eos_id(); }

}  // namespace irq
