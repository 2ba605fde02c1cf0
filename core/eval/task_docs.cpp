// The seven zero-shot tasks: records -> lm-eval's requests (see task_docs.h).
#include "eval/task_docs.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/join.h"
#include "eval/task_text.h"
#include "io/json_file.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

constexpr size_t kMaxLineBytes = size_t{1} << 20;
constexpr uintmax_t kMaxFileBytes = uintmax_t{2} << 30;
constexpr size_t kMaxChoices = 64;

[[noreturn]] void bad_record(const std::string& where, const std::string& what) { throw make_error(ErrorKind::kInvalidInput, where, what); }

std::string text(const nlohmann::json& r, const char* key, const std::string& where) {
  const auto it = r.find(key);
  if (it == r.end()) bad_record(where, std::string("has no \"") + key + "\"");
  if (!it->is_string()) bad_record(where, std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();  // valid UTF-8: the JSON parser refuses anything else
}

// An integer label, or a string holding one (HellaSwag's "label": "2").
int64_t label(const nlohmann::json& r, const char* key, const std::string& where) {
  const auto it = r.find(key);
  if (it == r.end()) bad_record(where, std::string("has no \"") + key + "\"");
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const auto s = it->get<std::string>();
    if (!s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::stoll(s);
  }
  bad_record(where, std::string("\"") + key + "\" = " + it->dump().substr(0, 40) + " is not an integer label");
}

std::vector<std::string> strings(const nlohmann::json& v, const std::string& field, const std::string& where) {
  if (!v.is_array() || v.empty() || v.size() > kMaxChoices) bad_record(where, "\"" + field + "\" must be a list of 1 to 64 strings");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) bad_record(where, "\"" + field + "\" holds a non-string " + e.dump().substr(0, 40));
    out.push_back(e.get<std::string>());
  }
  return out;
}

int gold_in(int64_t g, size_t n, const std::string& field, const std::string& where) {
  if (g < 0 || static_cast<size_t>(g) >= n) bad_record(where, "\"" + field + "\" = " + std::to_string(g) + " is not one of the " + std::to_string(n) + " choices");
  return static_cast<int>(g);
}

// Choices appended to one context (every task but winogrande).
TaskDoc plain(std::string context, std::vector<std::string> choices, int gold) {
  TaskDoc d;
  d.contexts = {std::move(context)};
  for (const auto& c : choices) d.continuations.push_back(" " + c);
  d.choices = std::move(choices);
  d.gold = gold;
  return d;
}

TaskDoc hellaswag(const nlohmann::json& r, const std::string& w) {
  const std::string ctx = r.contains("ctx_a") && r.contains("ctx_b")
                              ? text(r, "ctx_a", w) + " " + py_capitalize(text(r, "ctx_b", w))
                              : text(r, "ctx", w);
  std::vector<std::string> endings;
  if (!r.contains("endings")) bad_record(w, "has no \"endings\"");
  for (auto& e : strings(r.at("endings"), "endings", w)) endings.push_back(hellaswag_preprocess(e));
  const int gold = gold_in(label(r, "label", w), endings.size(), "label", w);
  return plain(hellaswag_preprocess(text(r, "activity_label", w) + ": " + ctx), std::move(endings), gold);
}

TaskDoc piqa(const nlohmann::json& r, const std::string& w) {
  return plain("Question: " + text(r, "goal", w) + "\nAnswer:", {text(r, "sol1", w), text(r, "sol2", w)},
               gold_in(label(r, "label", w), 2, "label", w));
}

TaskDoc winogrande(const nlohmann::json& r, const std::string& w) {
  const std::string s = text(r, "sentence", w);
  const size_t blank = s.find('_');
  if (blank == std::string::npos) bad_record(w, "\"sentence\" has no '_' blank");
  const std::string answer = text(r, "answer", w);
  if (answer != "1" && answer != "2") bad_record(w, "\"answer\" = \"" + answer + "\" is not \"1\" or \"2\"");
  TaskDoc d;
  for (const char* k : {"option1", "option2"}) {
    d.choices.push_back(s.substr(0, blank) + text(r, k, w));
    d.contexts.push_back(d.choices.back());
  }
  d.continuations = {" " + py_strip(s.substr(blank + 1))};
  d.gold = answer == "1" ? 0 : 1;
  return d;
}

// ARC and OpenBookQA: choices {text, label}, gold = label.index(answerKey).
TaskDoc lettered(const nlohmann::json& r, std::string context, bool lstrip_key, const std::string& w) {
  if (!r.contains("choices") || !r.at("choices").is_object()) bad_record(w, "\"choices\" must be an object {text, label}");
  const auto& c = r.at("choices");
  if (!c.contains("text") || !c.contains("label")) bad_record(w, "\"choices\" needs \"text\" and \"label\"");
  auto texts = strings(c.at("text"), "choices.text", w);
  const auto labels = strings(c.at("label"), "choices.label", w);
  if (labels.size() != texts.size()) bad_record(w, "\"choices\" has " + std::to_string(texts.size()) + " texts but " + std::to_string(labels.size()) + " labels");
  std::string key = text(r, "answerKey", w);
  if (lstrip_key) key.erase(0, key.find_first_not_of(" \t\n\r\f\v"));
  const auto it = std::find(labels.begin(), labels.end(), key);
  if (it == labels.end()) bad_record(w, "\"answerKey\" = \"" + key + "\" is not one of choices.label");
  return plain(std::move(context), std::move(texts), static_cast<int>(it - labels.begin()));
}

TaskDoc boolq(const nlohmann::json& r, const std::string& w) {
  int gold;
  if (r.contains("answer")) {
    if (!r.at("answer").is_boolean()) bad_record(w, "\"answer\" is not true or false");
    gold = r.at("answer").get<bool>() ? 1 : 0;
  } else {
    gold = gold_in(label(r, "label", w), 2, "label", w);
  }
  return plain(text(r, "passage", w) + "\nQuestion: " + text(r, "question", w) + "?\nAnswer:", {"no", "yes"}, gold);
}

}  // namespace

const std::vector<TaskSpec>& task_specs() {
  static const std::vector<TaskSpec> specs = {
      {"hellaswag", "validation", true}, {"piqa", "validation", true},  {"winogrande", "validation", false},
      {"arc_easy", "test", true},        {"arc_challenge", "test", true}, {"boolq", "validation", false},
      {"openbookqa", "test", true},
  };
  return specs;
}

const TaskSpec& task_spec(const std::string& name) {
  for (const auto& s : task_specs())
    if (s.name == name) return s;
  std::vector<std::string> known;
  for (const auto& s : task_specs()) known.push_back(s.name);
  throw make_error(ErrorKind::kUsage, "--tasks", "unknown task '" + name + "' (known: " + join(known) + ")");
}

TaskDoc make_task_doc(const std::string& task, const nlohmann::json& r, const std::string& where) {
  if (!r.is_object()) bad_record(where, "is not a JSON object");
  if (task == "hellaswag") return hellaswag(r, where);
  if (task == "piqa") return piqa(r, where);
  if (task == "winogrande") return winogrande(r, where);
  if (task == "arc_easy" || task == "arc_challenge") return lettered(r, "Question: " + text(r, "question", where) + "\nAnswer:", false, where);
  if (task == "boolq") return boolq(r, where);
  if (task == "openbookqa") return lettered(r, text(r, "question_stem", where), true, where);
  task_spec(task);  // throws naming the known tasks
  bad_record(where, "task " + task + " has no reader");
}

fs::path task_file(const fs::path& dir, const std::string& task, const std::string& split) {
  return dir / (task + "_" + (split.empty() ? task_spec(task).split : split) + ".jsonl");
}

std::vector<TaskDoc> load_task_docs(const fs::path& dir, const std::string& task, const std::string& split, int64_t limit) {
  const fs::path path = task_file(dir, task, split);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw make_error(ErrorKind::kNotFound, path.string(), "no such file (scripts/make_task_data.py writes the task files)");
  if (!fs::is_regular_file(status)) bad_record(path.string(), "is not a regular file");
  if (fs::file_size(path, ec) > kMaxFileBytes) bad_record(path.string(), "is over the 2 GiB limit of a task file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw make_error(ErrorKind::kNotFound, path.string(), "cannot open");
  JsonLimits limits;
  limits.max_bytes = kMaxLineBytes;
  limits.max_depth = 16;
  std::vector<TaskDoc> docs;
  std::string line;
  for (int64_t n = 1; (limit <= 0 || static_cast<int64_t>(docs.size()) < limit) && std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ": line " + std::to_string(n);
    docs.push_back(make_task_doc(task, parse_json_text(line, where, limits), where));
  }
  if (docs.empty()) bad_record(path.string(), "holds no records");
  return docs;
}

}  // namespace irq
