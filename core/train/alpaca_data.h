// Instruction-tuning data as QLoRA / IR-QLoRA prepare it: Alpaca records
// (JSON array or JSONL of {instruction, input, output}) formatted with the
// Alpaca prompt template; source = BOS + prompt truncated to source_max_len
// tokens, target = output + EOS truncated to target_max_len; the loss is
// taken on target tokens only (labels -100 elsewhere).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace irq {

struct AlpacaRecord {
  std::string instruction, input, output;
};

struct TrainExample {
  std::vector<int64_t> input_ids;  // source + target
  std::vector<int64_t> labels;     // -100 on the source
};

// Throws Error(kInvalidInput) naming the file and the record.
std::vector<AlpacaRecord> load_alpaca(const std::filesystem::path& path);
std::string alpaca_prompt(const AlpacaRecord& r);  // ends with "### Response: "
TrainExample tokenize_example(const AlpacaRecord& r, const Tokenizer& tok, int64_t source_max_len, int64_t target_max_len);

}  // namespace irq
