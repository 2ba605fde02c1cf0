// MMLU CSV loading and the category table.
#include "eval/mmlu_data.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/json_file.h"
#include "eval/csv.h"

namespace irq {

namespace fs = std::filesystem;

const std::string& mmlu_categories_json();  // generated from resources/mmlu_categories.json

namespace {

// {"name": ["string", ...], ...} with every name and entry checked, or an
// Error naming the source, the table and the entry.
std::map<std::string, std::vector<std::string>> string_lists(const nlohmann::json& j, const char* table, const std::string& source) {
  if (!j.contains(table) || !j.at(table).is_object())
    throw make_error(ErrorKind::kInvalidInput, source, std::string("'") + table + "' must be an object of string lists");
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [name, list] : j.at(table).items()) {
    const std::string where = std::string(table) + "." + name;
    if (!list.is_array()) throw make_error(ErrorKind::kInvalidInput, source, "'" + where + "' must be a list of strings");
    auto& dst = out[name];
    for (const auto& e : list) {
      if (!e.is_string()) throw make_error(ErrorKind::kInvalidInput, source, "'" + where + "' holds a non-string " + e.dump().substr(0, 40));
      dst.push_back(e.get<std::string>());
    }
  }
  return out;
}

}  // namespace

MmluCategories MmluCategories::from_json_text(const std::string& text, const std::string& source) {
  JsonLimits limits;
  limits.max_bytes = size_t{1} << 20;  // the real table is 6 KB
  limits.max_depth = 4;                // object -> table -> list -> string
  const auto j = parse_json_text(text, source, limits);
  if (!j.is_object()) throw make_error(ErrorKind::kInvalidInput, source, "expected {\"subcategories\": ..., \"categories\": ...}");
  MmluCategories c;
  c.subcategories = string_lists(j, "subcategories", source);
  c.categories = string_lists(j, "categories", source);
  return c;
}

MmluCategories MmluCategories::builtin() { return from_json_text(mmlu_categories_json(), "built-in MMLU categories"); }

namespace {

std::vector<MmluQuestion> read_split(const fs::path& file) {
  std::vector<MmluQuestion> out;
  const auto rows = read_csv(file);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const std::string where = file.string() + ": row " + std::to_string(r + 1);
    if (row.size() != 6)
      throw make_error(ErrorKind::kInvalidInput, where, "has " + std::to_string(row.size()) + " fields, expected 6 (question,A,B,C,D,answer)");
    MmluQuestion q;
    q.question = row[0];
    for (int k = 0; k < 4; ++k) q.choices[k] = row[static_cast<size_t>(k) + 1];
    const std::string& a = row[5];
    if (a.size() != 1 || a[0] < 'A' || a[0] > 'D') throw make_error(ErrorKind::kInvalidInput, where, "answer '" + a + "' is not A, B, C or D");
    q.answer = a[0] - 'A';
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace

std::vector<MmluSubject> load_mmlu(const fs::path& dir, const std::string& split, const std::vector<std::string>& subjects) {
  const fs::path split_dir = dir / split;
  if (!fs::is_directory(split_dir)) throw make_error(ErrorKind::kNotFound, dir.string(), "no " + split + "/ folder of <subject>_" + split + ".csv files");
  if (!fs::is_directory(dir / "dev")) throw make_error(ErrorKind::kNotFound, dir.string(), "no dev/ folder (the few-shot examples)");
  std::vector<std::string> names;
  const std::string suffix = "_" + split + ".csv";
  for (const auto& e : fs::directory_iterator(split_dir)) {
    const std::string f = e.path().filename().string();
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(f.substr(0, f.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  for (const auto& s : subjects)
    if (std::find(names.begin(), names.end(), s) == names.end())
      throw make_error(ErrorKind::kNotFound, split_dir.string(), "no subject '" + s + "'");
  std::vector<MmluSubject> out;
  for (const auto& name : names) {
    if (!subjects.empty() && std::find(subjects.begin(), subjects.end(), name) == subjects.end()) continue;
    MmluSubject s;
    s.name = name;
    s.test = read_split(split_dir / (name + suffix));
    const fs::path dev = dir / "dev" / (name + "_dev.csv");
    if (!fs::exists(dev)) throw make_error(ErrorKind::kNotFound, dev.string(), "missing: the few-shot examples of '" + name + "'");
    s.dev = read_split(dev);
    out.push_back(std::move(s));
  }
  if (out.empty()) throw make_error(ErrorKind::kNotFound, split_dir.string(), "no <subject>" + suffix + " files");
  return out;
}

}  // namespace irq
