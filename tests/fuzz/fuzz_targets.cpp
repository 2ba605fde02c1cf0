// The fuzz targets (see fuzz_targets.h). File-based parsers get the bytes
// through a scratch folder of this process, written fresh for each input.
#include "builtin_formats.h"
#include "fuzz_targets.h"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <fstream>
#include <string_view>

#include "common/error.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "model/llama_config.h"
#include "quant/quant_checkpoint.h"
#include "text/hf_tokenizer.h"
#include "text/jinja/template.h"
#include "eval/csv.h"
#include "eval/task_docs.h"
#include "export/gguf_format.h"
#include "train/alpaca_data.h"

namespace irq::fuzz {

namespace fs = std::filesystem;

namespace {

// This process's scratch folder, removed when it exits normally.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("irq-fuzz-" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const fs::path& scratch() {
  static const ScratchDir dir;
  return dir.path;
}

fs::path write_scratch(const char* name, const uint8_t* data, size_t size) {
  const fs::path p = scratch() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return p;
}

std::string_view text(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

void run_json(const uint8_t* d, size_t n) { parse_json_text(text(d, n), "fuzz.json"); }

void run_config(const uint8_t* d, size_t n) { LlamaConfig::from_json(parse_json_text(text(d, n), "config.json"), "config.json"); }

void run_safetensors(const uint8_t* d, size_t n) {
  const auto file = SafetensorsFile::open(write_scratch("model.safetensors", d, n));
  for (const auto& t : file.tensors()) (void)t.numel();
}

void run_tokenizer(const uint8_t* d, size_t n) {
  JsonLimits limits;
  limits.max_bytes = size_t{256} << 20;
  const auto tok = HfTokenizer::from_json(parse_json_text(text(d, n), "tokenizer.json", limits), nullptr, "tokenizer.json");
  const auto ids = tok->encode_text("Hello world, 123 <s> Grüße 東京\n", /*add_special=*/true, /*parse_special=*/true);
  (void)tok->decode(ids);
}

void run_quant_meta(const uint8_t* d, size_t n) {
  register_builtin_format_descriptions();  // the settings name a format (as the light front end has them)
  write_scratch("irqlora_quant.json", d, n);
  read_quant_meta(scratch());
}

// The driver's own check: an input whose first byte is not the seeds' '{'
// throws a std::logic_error, which the driver must report as a finding.
void run_selftest(const uint8_t* d, size_t n) {
  if (n == 0 || d[0] != '{') throw std::logic_error("selftest: a finding");
}

void run_gguf(const uint8_t* d, size_t n) { GgufFile::open(write_scratch("model.gguf", d, n)); }

void run_csv(const uint8_t* d, size_t n) { parse_csv(std::string(text(d, n)), "test.csv"); }

void run_alpaca(const uint8_t* d, size_t n) { load_alpaca(write_scratch("alpaca.json", d, n)); }

// The first byte picks one of the seven tasks; the rest is its JSONL file.
void run_tasks(const uint8_t* d, size_t n) {
  if (n == 0) return;
  const auto& spec = task_specs()[d[0] % task_specs().size()];
  write_scratch((spec.name + "_" + spec.split + ".jsonl").c_str(), d + 1, n - 1);
  load_task_docs(scratch(), spec.name);
}

// A chat template (chat_template.jinja): parsed, then rendered over a
// conversation with a system message, turns, a tool call and the special tokens.
void run_chat_template(const uint8_t* d, size_t n) {
  const jinja::Template t(std::string(text(d, n)), "chat_template.jinja");
  using jinja::Value;
  const auto message = [](const char* role, const char* content) {
    return Value::dict({{"role", Value::string(role)}, {"content", Value::string(content)}});
  };
  const Value call = Value::dict({{"id", Value::string("abc123def")}, {"type", Value::string("function")},
                                  {"function", Value::dict({{"name", Value::string("f")},
                                                            {"arguments", Value::dict({{"x", Value::integer(1)}})}})}});
  Value assistant = Value::dict({{"role", Value::string("assistant")}, {"content", Value::string("<think>a</think>b")},
                                 {"tool_calls", Value::list({call})}});
  const jinja::ValueDict vars{
      {"bos_token", Value::string("<s>")},
      {"eos_token", Value::string("</s>")},
      {"messages", Value::list({message("system", "sys"), message("user", "Hi \xC3\xA9"), assistant, message("tool", "1"),
                                message("user", "again")})},
      {"add_generation_prompt", Value::boolean(true)},
  };
  (void)t.render(vars);
}

}  // namespace

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"json", "fuzz.json", &run_json},
      {"config", "config.json", &run_config},
      {"safetensors", "model.safetensors", &run_safetensors},
      {"tokenizer", "tokenizer.json", &run_tokenizer},
      {"quant_meta", "irqlora_quant.json", &run_quant_meta},
      {"selftest", "selftest.json", &run_selftest},
      {"gguf", "model.gguf", &run_gguf},
      {"csv", "test.csv", &run_csv},
      {"alpaca", "alpaca.json", &run_alpaca},
      {"tasks", "<task>_<split>.jsonl", &run_tasks},
      {"chat_template", "chat_template.jinja", &run_chat_template},
  };
  return all;
}

const Target* find_target(const std::string& name) {
  for (const auto& t : targets())
    if (name == t.name) return &t;
  return nullptr;
}

}  // namespace irq::fuzz
