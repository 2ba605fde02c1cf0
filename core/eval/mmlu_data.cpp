// MMLU CSV loading and the category table.
#include "eval/mmlu_data.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "eval/csv.h"

namespace irq {

namespace fs = std::filesystem;

const std::string& mmlu_categories_json();  // generated from resources/mmlu_categories.json

MmluCategories MmluCategories::from_json_text(const std::string& text, const std::string& source) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("subcategories") || !j.contains("categories"))
    throw make_error(ErrorKind::kInvalidInput, source, "expected {\"subcategories\": ..., \"categories\": ...}");
  MmluCategories c;
  c.subcategories = j.at("subcategories").get<std::map<std::string, std::vector<std::string>>>();
  c.categories = j.at("categories").get<std::map<std::string, std::vector<std::string>>>();
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
