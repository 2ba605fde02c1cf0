// irqlora tokenize MODEL_DIR (--text T | --file F) [--special] [--decode]:
// the model folder's tokenizer (tokenizer.json, else tokenizer.model) as a
// command: ids space-separated on stdout, with the special tokens the
// tokenizer's own config adds (BOS for LLaMA, none for GPT-2 or Qwen2).
// --special also turns special tokens written in the text ("<|im_start|>")
// into their ids, as Hugging Face does by default; without it they are text.
// --decode reads ids (space-separated) and prints the text.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/verbs.h"
#include "common/error.h"
#include "text/tokenizer.h"

namespace irq::cli {

namespace {

std::string input_text(const ParsedArgs& args) {
  if (args.has("text") == args.has("file")) throw make_error(ErrorKind::kUsage, "tokenize", "give exactly one of --text and --file");
  if (args.has("text")) return args.str("text");
  const std::string path = args.str("file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw make_error(ErrorKind::kNotFound, path, "cannot open");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int run_tokenize(const ParsedArgs& args) {
  const auto tok = open_tokenizer(args.positional.at(0));
  const std::string text = input_text(args);
  if (args.flag("decode")) {
    std::vector<int64_t> ids;
    std::istringstream in(text);
    std::string word;
    while (in >> word) {
      char* end = nullptr;
      const long long v = std::strtoll(word.c_str(), &end, 10);
      if (!end || *end != '\0' || v < 0 || v >= tok->vocab_size())
        throw make_error(ErrorKind::kUsage, "tokenize --decode", "'" + word + "' is not a token id below " + std::to_string(tok->vocab_size()));
      ids.push_back(v);
    }
    std::printf("%s\n", tok->decode_tokens(ids, /*skip_special=*/!args.flag("special")).c_str());
    return 0;
  }
  const auto ids = tok->encode_text(text, /*add_special=*/true, /*parse_special=*/args.flag("special"));
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace

Verb tokenize_verb() {
  VerbSpec spec{"tokenize", "MODEL_DIR", "token ids of a text with the model's tokenizer (or text of ids with --decode)", {}, 1, 1};
  spec.options = {{"text", "T", "the text", ""},
                  {"file", "F", "read the text from a file (as bytes; invalid UTF-8 becomes U+FFFD)", ""},
                  {"special", "", "parse special tokens written in the text; with --decode, keep them", ""},
                  {"decode", "", "the input is ids: print their text", ""}};
  return {spec, &run_tokenize};
}

}  // namespace irq::cli
