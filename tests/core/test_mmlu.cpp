// MMLU: CSV quoting, the hendrycks prompt byte for byte (golden prompts from
// icq_oracle.py's mmlu_prompt), clear errors for bad files, shots dropped to
// fit the token limit, the shared-header path agreeing with full prompts
// within 1e-4, tallies per subject/subcategory/category; and perplexity.
#include "support/test_support.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "eval/csv.h"
#include "eval/mmlu_data.h"
#include "eval/mmlu_eval.h"
#include "eval/mmlu_prompt.h"
#include "eval/perplexity.h"
#include "model/model_loader.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {
constexpr double kMaxPathProbDiff = 1e-4;  // shared-header vs full-prompt probabilities
constexpr double kMaxPerplexityRelError = 1e-9;
fs::path mmlu_dir() { return irq::test::fixtures() / "mmlu_tiny"; }
}  // namespace

class TestMmlu : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void csv_quoting() {
    const auto rows = irq::parse_csv("a,\"b, c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,x\n\nlast,row", "mem");
    QCOMPARE(rows.size(), size_t(3));
    QCOMPARE(rows[0], (irq::CsvRow{"a", "b, c", "say \"hi\""}));
    QCOMPARE(rows[1], (irq::CsvRow{"multi\nline", "", "x"}));
    QCOMPARE(rows[2], (irq::CsvRow{"last", "row"}));
    QVERIFY(irq::test::throws_error([] { irq::parse_csv("a,b\n\"open,\nnever closed", "file.csv"); }, ErrorKind::kInvalidInput,
                                    {"file.csv", "unterminated quoted field starting on line 2"}));
  }

  void prompts_match_the_reference_byte_for_byte() {
    const auto golden = nlohmann::json::parse(irq::test::read_file(mmlu_dir() / "golden_prompts.json"));
    const auto subjects = irq::load_mmlu(mmlu_dir(), "test");
    QCOMPARE(subjects.size(), size_t(3));
    int checked = 0;
    for (const auto& s : subjects)
      for (size_t i = 0; i < s.test.size(); ++i) {
        QCOMPARE(irq::mmlu_prompt(s.name, s.dev, s.test[i], 5), golden[s.name][i].get<std::string>());
        ++checked;
      }
    QCOMPARE(checked, 10);
    QVERIFY(irq::mmlu_header("abstract_algebra", {}, 0).find("about  abstract algebra.\n\n") != std::string::npos);
  }

  void bad_files_are_named() {
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "bad";
    fs::create_directories(dir / "dev");
    fs::create_directories(dir / "test");
    irq::test::write_file(dir / "dev" / "x_dev.csv", "q,a,b,c,d,A\n");
    irq::test::write_file(dir / "test" / "x_test.csv", "q,a,b,c,d,A\nq2,a,b,c,d,E\n");
    QVERIFY(irq::test::throws_error([&] { irq::load_mmlu(dir, "test"); }, ErrorKind::kInvalidInput,
                                    {"x_test.csv: row 2", "answer 'E'"}));
    irq::test::write_file(dir / "test" / "x_test.csv", "q,a,b,c,A\n");
    QVERIFY(irq::test::throws_error([&] { irq::load_mmlu(dir, "test"); }, ErrorKind::kInvalidInput, {"has 5 fields, expected 6"}));
    QVERIFY(irq::test::throws_error([&] { irq::load_mmlu(mmlu_dir(), "test", {"astrology"}); }, ErrorKind::kNotFound, {"'astrology'"}));
    QVERIFY(irq::test::throws_error([&] { irq::load_mmlu(mmlu_dir(), "val"); }, ErrorKind::kNotFound, {"no val/ folder"}));
  }

  // The category table is parsed with bounds and typed checks: each bad
  // table names its source and the entry.
  void bad_category_tables_are_named() {
    using C = irq::MmluCategories;
    const auto builtin = C::builtin();
    QCOMPARE(builtin.subcategories.at("abstract_algebra"), std::vector<std::string>{"math"});
    QVERIFY(builtin.categories.at("STEM").size() > 0);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[]", "expected"},
        {R"({"categories": {}})", "'subcategories'"},
        {R"({"subcategories": {"x": "math"}, "categories": {}})", "'subcategories.x' must be a list"},
        {R"({"subcategories": {"x": [1]}, "categories": {}})", "'subcategories.x' holds a non-string 1"},
        {R"({"subcategories": {}, "categories": []})", "'categories' must be an object"},
        {std::string(100000, '[') + std::string(100000, ']'), "deeper than 4 levels"},
    };
    for (const auto& [text, needle] : cases)
      QVERIFY2(irq::test::throws_error([&] { C::from_json_text(text, "cats.json"); }, ErrorKind::kInvalidInput, {"cats.json", needle}), text.substr(0, 40).c_str());
  }

  void shared_header_agrees_with_full_prompts() {
    // tiny_llama with a 1024-token context, so the k-shot prompts fit whole.
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "tiny-long";
    fs::create_directories(dir);
    for (const char* f : {"model.safetensors", "tokenizer.model"}) fs::copy_file(irq::test::fixtures() / "tiny_llama" / f, dir / f);
    auto cfg = nlohmann::json::parse(irq::test::read_file(irq::test::fixtures() / "tiny_llama" / "config.json"));
    cfg["max_position_embeddings"] = 1024;
    irq::test::write_file(dir / "config.json", cfg.dump());
    auto loaded = irq::load_model(dir);
    const auto subjects = irq::load_mmlu(mmlu_dir(), "test");
    const auto categories = irq::MmluCategories::builtin();
    irq::MmluOptions o;
    o.shared_header = false;
    const auto full = irq::evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, categories, o);
    o.shared_header = true;
    o.batch = 3;
    const auto fast = irq::evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, categories, o);
    QCOMPARE(full.answers.size(), size_t(10));
    double max_diff = 0;
    int shared = 0;
    for (size_t i = 0; i < full.answers.size(); ++i) {
      QCOMPARE(fast.answers[i].predicted, full.answers[i].predicted);
      shared += fast.answers[i].shared;
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        max_diff = std::max(max_diff, std::fabs(fast.answers[i].probs[k] - full.answers[i].probs[k]));
        sum += full.answers[i].probs[k];
      }
      QVERIFY(std::fabs(sum - 1) < 1e-9);
    }
    qInfo("shared path answered %d of 10, max |p diff| %.3g", shared, max_diff);
    QCOMPARE(shared, 10);
    QVERIFY(max_diff < kMaxPathProbDiff);
    // Tallies: 3 subjects -> their subcategories -> categories, micro average.
    QCOMPARE(full.subjects.size(), size_t(3));
    QCOMPARE(full.overall.total, int64_t(10));
    QCOMPARE(full.categories.at("STEM").total, int64_t(4));
    QCOMPARE(full.categories.at("other (business, health, misc.)").total, int64_t(3));
    QCOMPARE(full.categories.at("social sciences").total, int64_t(3));
    QCOMPARE(full.subcategories.at("math").total, int64_t(4));
    const auto j = irq::to_json(full);
    QCOMPARE(j["overall"]["total"].get<int64_t>(), int64_t(10));
    const fs::path csv = fs::path(tmp_.path().toStdString()) / "answers.csv";
    irq::write_answers_csv(csv, full);
    QCOMPARE(irq::read_csv(csv).size(), size_t(11));
  }

  void shots_drop_to_fit_the_limit() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");  // context 64 tokens
    const auto subjects = irq::load_mmlu(mmlu_dir(), "test", {"anatomy"});
    irq::MmluOptions o;
    const auto r = irq::evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, irq::MmluCategories::builtin(), o);
    QCOMPARE(r.limit, int64_t(64));
    for (const auto& a : r.answers) {
      QVERIFY(a.tokens <= 64);
      QVERIFY(a.shots < 3);
    }
  }

  void perplexity_equals_direct_computation() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    const std::string text = "Once upon a time, the robot counted the birds on the roof.";
    const auto& tok = loaded.require_tokenizer();
    const auto ids = tok.encode(text, true);
    const int64_t n = static_cast<int64_t>(ids.size());
    torch::NoGradGuard no_grad;
    auto logp = torch::log_softmax(loaded.model->forward(torch::tensor(ids).view({1, -1}))[0].to(torch::kFloat64), -1);
    double nll = 0;
    for (int64_t p = 1; p < n; ++p) nll -= logp[p - 1][ids[static_cast<size_t>(p)]].item<double>();
    const double expected = std::exp(nll / static_cast<double>(n - 1));
    const auto one = irq::perplexity(loaded.model, tok, text, 64, 64);
    QCOMPARE(one.tokens, n - 1);
    QVERIFY(std::fabs(one.perplexity - expected) / expected < kMaxPerplexityRelError);
    const auto sliding = irq::perplexity(loaded.model, tok, text, 8, 4);
    QCOMPARE(sliding.tokens, n - 1);  // every token scored once
    QVERIFY(sliding.windows > 1 && std::isfinite(sliding.perplexity));
    qInfo("perplexity %.3f (one window), %.3f (window 8, stride 4)", one.perplexity, sliding.perplexity);
  }
};

IRQ_TEST_CASE(TestMmlu, "test_mmlu")
#include "test_mmlu.moc"
