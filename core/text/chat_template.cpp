// Finding, rendering and encoding a model's chat template (see chat_template.h).
#include "text/chat_template.h"

#include "common/error.h"
#include "io/json_file.h"
#include "io/text_file.h"
#include "text/tokenizer.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

// tokenizer_config.json spells a token as "…" or {"content": "…", …}; null: none.
std::optional<std::string> token_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return std::nullopt;
}

std::string template_from_config(const nlohmann::json& config, const std::string& source) {
  const auto& t = config["chat_template"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array()) {
    for (const auto& entry : t)
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") && entry["template"].is_string())
        return entry["template"].get<std::string>();
    throw make_error(ErrorKind::kInvalidInput, source, "chat_template lists named templates but none named \"default\"");
  }
  throw make_error(ErrorKind::kInvalidInput, source, "chat_template is neither a string nor a list of named templates");
}

}  // namespace

ChatTemplate::ChatTemplate(const std::string& text, std::string source,
                           std::vector<std::pair<std::string, std::string>> special_tokens)
    : template_(text, std::move(source)), special_tokens_(std::move(special_tokens)) {}

std::optional<ChatTemplate> ChatTemplate::from_directory(const fs::path& dir) {
  const fs::path config_path = dir / "tokenizer_config.json";
  nlohmann::json config = nlohmann::json::object();
  if (fs::exists(config_path)) {
    config = read_json_file(config_path);
    if (!config.is_object()) throw make_error(ErrorKind::kInvalidInput, config_path.string(), "not a JSON object");
  }
  std::string text, source;
  if (fs::exists(dir / "chat_template.jinja")) {
    source = (dir / "chat_template.jinja").string();
    text = read_text_file(dir / "chat_template.jinja", size_t{4} << 20, "chat template");
  } else if (config.contains("chat_template") && !config["chat_template"].is_null()) {
    source = config_path.string() + ": chat_template";
    text = template_from_config(config, config_path.string());
  } else {
    return std::nullopt;
  }
  nlohmann::json tokens_map = nlohmann::json::object();
  if (fs::exists(dir / "special_tokens_map.json")) {
    tokens_map = read_json_file(dir / "special_tokens_map.json");
    if (!tokens_map.is_object()) tokens_map = nlohmann::json::object();
  }
  std::vector<std::pair<std::string, std::string>> special;
  for (const char* name : {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"}) {
    std::optional<std::string> value;
    if (config.contains(name)) value = token_text(config[name]);
    else if (tokens_map.contains(name)) value = token_text(tokens_map[name]);
    if (value) special.emplace_back(name, *value);
  }
  return ChatTemplate(text, source, std::move(special));
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  jinja::ValueList list;
  for (const auto& m : messages)
    list.push_back(jinja::Value::dict({{"role", jinja::Value::string(m.role)}, {"content", jinja::Value::string(m.content)}}));
  jinja::ValueDict vars;
  for (const auto& [name, value] : special_tokens_) vars.emplace_back(name, jinja::Value::string(value));
  vars.emplace_back("messages", jinja::Value::list(std::move(list)));
  vars.emplace_back("add_generation_prompt", jinja::Value::boolean(add_generation_prompt));
  return template_.render(vars);
}

std::vector<int64_t> ChatTemplate::encode(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                          bool add_generation_prompt) const {
  return tokenizer.encode_text(render(messages, add_generation_prompt), /*add_special=*/false, /*parse_special=*/true);
}

}  // namespace irq
