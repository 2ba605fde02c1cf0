// Alpaca data loading and tokenization.
#include "train/alpaca_data.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/json_file.h"
#include "io/text_file.h"

namespace irq {

namespace {

AlpacaRecord parse_record(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw make_error(ErrorKind::kInvalidInput, where, "is not a JSON object");
  auto field = [&](const char* k, bool required) -> std::string {
    if (!j.contains(k) || j.at(k).is_null()) {
      if (required) throw make_error(ErrorKind::kInvalidInput, where, std::string("has no \"") + k + "\"");
      return "";
    }
    if (!j.at(k).is_string()) throw make_error(ErrorKind::kInvalidInput, where, std::string("\"") + k + "\" is not a string");
    return j.at(k).get<std::string>();
  };
  return {field("instruction", true), field("input", false), field("output", true)};
}

}  // namespace

std::vector<AlpacaRecord> load_alpaca(const std::filesystem::path& path) {
  const std::string s = read_text_file(path, size_t{2} << 30, "the training data");
  std::vector<AlpacaRecord> out;
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && s[first] == '[') {
    JsonLimits limits;  // nesting bounded; the size is the file's (Alpaca's 52k rows are 22 MB)
    limits.max_bytes = s.size();
    const auto j = parse_json_text(s, path.string(), limits);
    for (size_t i = 0; i < j.size(); ++i) out.push_back(parse_record(j[i], path.string() + ": record " + std::to_string(i + 1)));
  } else {  // JSONL
    std::istringstream lines(s);
    std::string line;
    for (int64_t n = 1; std::getline(lines, line); ++n) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const auto j = parse_json_text(line, path.string() + ": line " + std::to_string(n));
      out.push_back(parse_record(j, path.string() + ": line " + std::to_string(n)));
    }
  }
  if (out.empty()) throw make_error(ErrorKind::kInvalidInput, path.string(), "holds no records");
  return out;
}

std::string alpaca_prompt(const AlpacaRecord& r) {
  if (r.input.empty())
    return "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
           "### Instruction:\n" + r.instruction + "\n\n### Response: ";
  return "Below is an instruction that describes a task, paired with an input that provides further context. "
         "Write a response that appropriately completes the request.\n\n### Instruction:\n" + r.instruction +
         "\n\n### Input:\n" + r.input + "\n\n### Response: ";
}

TrainExample tokenize_example(const AlpacaRecord& r, const Tokenizer& tok, int64_t source_max_len, int64_t target_max_len) {
  auto src = tok.encode(alpaca_prompt(r), /*add_bos=*/true);
  if (static_cast<int64_t>(src.size()) > source_max_len) src.resize(static_cast<size_t>(source_max_len));
  auto tgt = tok.encode(r.output, /*add_bos=*/false);
  tgt.push_back(tok.eos_id());
  if (static_cast<int64_t>(tgt.size()) > target_max_len) tgt.resize(static_cast<size_t>(target_max_len));
  TrainExample e;
  e.input_ids = src;
  e.input_ids.insert(e.input_ids.end(), tgt.begin(), tgt.end());
  e.labels.assign(src.size(), -100);
  e.labels.insert(e.labels.end(), tgt.begin(), tgt.end());
  return e;
}

}  // namespace irq
