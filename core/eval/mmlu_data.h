// The MMLU benchmark in the hendrycks layout: DIR/dev/<subject>_dev.csv,
// DIR/test/<subject>_test.csv (and optional DIR/val/), rows
// question,A,B,C,D,answer without a header; and the subject -> subcategory
// -> category table (categories.json as in hendrycks/test, shipped in
// resources/mmlu_categories.json and compiled in).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace irq {

struct MmluQuestion {
  std::string question;
  std::string choices[4];
  int answer = 0;  // 0..3 for A..D
};

struct MmluSubject {
  std::string name;  // "abstract_algebra"
  std::vector<MmluQuestion> dev, test;
};

struct MmluCategories {
  std::map<std::string, std::vector<std::string>> subcategories;  // subject -> subcategories
  std::map<std::string, std::vector<std::string>> categories;     // category -> subcategories
  static MmluCategories builtin();
  static MmluCategories from_json_text(const std::string& text, const std::string& source);
};

// Loads `split` ("test" or "val") questions and the dev shots; `subjects`
// empty = all found. Errors name the file and row.
std::vector<MmluSubject> load_mmlu(const std::filesystem::path& dir, const std::string& split,
                                   const std::vector<std::string>& subjects = {});

}  // namespace irq
