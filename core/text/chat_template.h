// A model's chat template, found where transformers finds it: the
// directory's chat_template.jinja when present (what transformers >= 4.43
// saves), else tokenizer_config.json's "chat_template" (a string, or a list
// of {"name", "template"} from which "default" is taken). Rendering passes
// what apply_chat_template passes: messages, add_generation_prompt, and the
// tokenizer's special tokens by name (bos_token, eos_token, unk_token,
// pad_token, from tokenizer_config.json or special_tokens_map.json). The
// rendered text is then encoded without adding special tokens (the
// template writes them) and with special tokens in the text parsed, as
// apply_chat_template(tokenize=True) does.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/jinja/template.h"

namespace irq {

class Tokenizer;

struct ChatMessage {
  std::string role;     // "system", "user", "assistant", ...
  std::string content;
};

class ChatTemplate {
 public:
  ChatTemplate(const std::string& text, std::string source, std::vector<std::pair<std::string, std::string>> special_tokens);
  // The template of a model or tokenizer directory; nullopt when it has none.
  // Errors (unreadable or malformed file, a template that does not parse)
  // name the file.
  static std::optional<ChatTemplate> from_directory(const std::filesystem::path& dir);

  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  // render() then encode as apply_chat_template(tokenize=True) does.
  std::vector<int64_t> encode(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                              bool add_generation_prompt) const;
  const std::string& source() const { return template_.source(); }

 private:
  jinja::Template template_;
  std::vector<std::pair<std::string, std::string>> special_tokens_;  // bos_token -> "<s>", ...
};

}  // namespace irq
