// tokenizer.json pipeline against the PyPI `tokenizers` package: goldens of
// four fixtures in the Llama 3, Qwen2, SmolLM and Mistral configurations
// (scripts/fixtures/make_tokenizer_fixtures.py) on the Unicode stress file,
// an English sample and invalid UTF-8: ids line by line and whole, decode,
// special-token parsing on and off; and clear errors for bad files.
#include "support/test_support.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "text/hf_tokenizer.h"
#include "text/utf8.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

fs::path tokenizers_dir() { return irq::test::fixtures() / "tokenizers"; }

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t p = 0;
  for (;;) {
    const size_t e = text.find('\n', p);
    out.push_back(text.substr(p, e == std::string::npos ? std::string::npos : e - p));
    if (e == std::string::npos) return out;
    p = e + 1;
  }
}

}  // namespace

class TestHfTokenizer : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

  void check_family(const std::string& name) {
    const auto tok = irq::HfTokenizer::from_dir(tokenizers_dir() / name);
    const auto golden = nlohmann::json::parse(read_bytes(tokenizers_dir() / name / "golden.json"));
    for (const char* corpus : {"stress", "sample"}) {
      const std::string file = std::string(corpus) == "stress" ? "unicode_stress.txt" : "sample_text.txt";
      const auto lines = lines_of(read_bytes(tokenizers_dir() / file));
      const auto& want = golden.at(std::string(corpus) + "_lines");
      const auto& decoded = golden.at(std::string(corpus) + "_decoded");
      QCOMPARE(lines.size(), want.size());
      for (size_t i = 0; i < lines.size(); ++i) {
        const auto ids = tok->encode(lines[i], /*add_special=*/true);
        if (ids != want[i].get<std::vector<int64_t>>())
          QFAIL(qPrintable(QString("%1 %2 line %3: ids differ from tokenizers").arg(name.c_str(), corpus).arg(i)));
        if (tok->decode_tokens(ids, /*skip_special=*/false) != decoded[i].get<std::string>())
          QFAIL(qPrintable(QString("%1 %2 line %3: decode differs from tokenizers").arg(name.c_str(), corpus).arg(i)));
      }
    }
    QCOMPARE(tok->encode(read_bytes(tokenizers_dir() / "unicode_stress.txt"), true), golden.at("stress_whole").get<std::vector<int64_t>>());
    QCOMPARE(tok->encode(read_bytes(tokenizers_dir() / "invalid_utf8.bin"), true), golden.at("invalid").get<std::vector<int64_t>>());
    const std::string specials = "<s>[INST] hi <|endoftext|><|im_start|>";
    QCOMPARE(tok->encode_text(specials, /*add_special=*/false, /*parse_special=*/true), golden.at("plain_special").get<std::vector<int64_t>>());
    // parse_special off: no special token's id comes out of text.
    for (int64_t id : tok->encode_text(specials, false, /*parse_special=*/false)) QVERIFY(tok->token_type(id) != 3);
  }

 private Q_SLOTS:
  void llama3_matches_tokenizers() { check_family("llama3"); }
  void qwen2_matches_tokenizers() { check_family("qwen2"); }
  void smollm_matches_tokenizers() { check_family("smollm"); }
  void mistral_matches_tokenizers() { check_family("mistral"); }

  // tokenizer.model-only folders tokenize as transformers' AutoTokenizer
  // converts them (LlamaTokenizer): legacy true -> Metaspace "always",
  // false -> "first"; goldens from scripts/fixtures/make_sp_conversion_goldens.py.
  void sentencepiece_folders_match_auto_tokenizer() {
    for (const char* name : {"sp_legacy", "sp_first"}) {
      const auto tok = irq::open_tokenizer(tokenizers_dir() / name);
      QCOMPARE(tok->kind(), std::string("sentencepiece BPE (as transformers converts it)"));
      QVERIFY(tok->has_sentencepiece_scores());
      const auto golden = nlohmann::json::parse(read_bytes(tokenizers_dir() / name / "golden.json"));
      for (const char* corpus : {"stress", "sample"}) {
        const std::string file = std::string(corpus) == "stress" ? "unicode_stress.txt" : "sample_text.txt";
        const auto lines = lines_of(read_bytes(tokenizers_dir() / file));
        const auto& want = golden.at(std::string(corpus) + "_lines");
        QCOMPARE(lines.size(), want.size());
        for (size_t i = 0; i < lines.size(); ++i) {
          const auto ids = tok->encode(lines[i], true);
          if (ids != want[i].get<std::vector<int64_t>>())
            QFAIL(qPrintable(QString("%1 %2 line %3: ids differ from AutoTokenizer").arg(name, corpus).arg(i)));
          if (tok->decode_tokens(ids, false) != golden.at(std::string(corpus) + "_decoded")[i].get<std::string>())
            QFAIL(qPrintable(QString("%1 %2 line %3: decode differs from AutoTokenizer").arg(name, corpus).arg(i)));
          if (tok->decode(ids) != golden.at(std::string(corpus) + "_decoded_skip")[i].get<std::string>())
            QFAIL(qPrintable(QString("%1 %2 line %3: decode (special tokens skipped) differs from AutoTokenizer").arg(name, corpus).arg(i)));
        }
      }
    }
    // Runs of spaces survive (libsentencepiece with remove_extra_whitespaces collapses them).
    const auto tok = irq::open_tokenizer(tokenizers_dir() / "sp_legacy");
    QVERIFY(tok->encode("about  abstract", false) != tok->encode("about abstract", false));
  }

  void bos_follows_the_tokenizers_own_config() {
    const auto llama3 = irq::HfTokenizer::from_dir(tokenizers_dir() / "llama3");
    QCOMPARE(llama3->encode("hi", true).front(), llama3->bos_id());
    const auto qwen2 = irq::HfTokenizer::from_dir(tokenizers_dir() / "qwen2");
    QCOMPARE(qwen2->bos_id(), int64_t(-1));
    QCOMPARE(qwen2->encode("hi", true), qwen2->encode("hi", false));  // Qwen2 adds no BOS
    // add_bos_token / add_eos_token in tokenizer_config.json rebuild the template (transformers' LlamaTokenizerFast).
    const fs::path dir = tmp() / "mistral-eos";
    fs::create_directories(dir);
    fs::copy_file(tokenizers_dir() / "mistral" / "tokenizer.json", dir / "tokenizer.json");
    irq::test::write_file(dir / "tokenizer_config.json", R"({"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": false, "add_eos_token": true})");
    const auto tok = irq::HfTokenizer::from_dir(dir);
    const auto ids = tok->encode("hi", true);
    QVERIFY(ids.front() != tok->bos_id());
    QCOMPARE(ids.back(), tok->eos_id());
  }

  void round_trips_where_the_reference_does() {
    const std::string text = "Grüße, 東京 🙂 tab\there  two  spaces";
    for (const char* name : {"llama3", "qwen2", "smollm", "mistral"}) {
      const auto tok = irq::HfTokenizer::from_dir(tokenizers_dir() / name);
      QCOMPARE(tok->decode(tok->encode(text, true)), text);
    }
  }

  void invalid_utf8_is_repaired_like_python() {
    // b"\xe2\x82" (truncated) is one U+FFFD, "\xc0\xaf" two, "\xed\xa0\x80" three (maximal subparts).
    QCOMPARE(irq::utf8::repair("a\xe2\x82" "b"), std::string("a\xEF\xBF\xBD" "b"));
    QCOMPARE(irq::utf8::repair("\xc0\xaf"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD"));
    QCOMPARE(irq::utf8::repair("\xed\xa0\x80"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));
    QCOMPARE(irq::utf8::repair("ok \xF0\x9F\x98\x80"), std::string("ok \xF0\x9F\x98\x80"));
  }

  void bad_files_are_named() {
    const fs::path dir = tmp() / "bad";
    fs::create_directories(dir);
    const std::string file = (dir / "tokenizer.json").string();
    irq::test::write_file(dir / "tokenizer.json", "{not json");
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kInvalidInput, {file, "not valid JSON"}));
    auto j = nlohmann::json::parse(read_bytes(tokenizers_dir() / "qwen2" / "tokenizer.json"));
    j["normalizer"] = {{"type", "Precompiled"}};
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kUnsupported, {file, "normalizer 'Precompiled'"}));
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kUnsupported, {file, "pre_tokenizer 'UnicodeScripts'"}));
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}, {"invert", false}};
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kInvalidInput, {file, "(unclosed", "does not compile"}));
    j["pre_tokenizer"] = nullptr;
    j["model"]["merges"][0] = "a b c";
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kInvalidInput, {file, "merge 0"}));
    j["model"]["merges"][0] = "zzzz qqqq";
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kInvalidInput, {file, "merge 0", "not in the vocab"}));
    j["model"]["type"] = "Unigram";
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(dir); }, ErrorKind::kUnsupported, {file, "Unigram"}));
  }
};

IRQ_TEST_CASE(TestHfTokenizer, "test_hf_tokenizer")
#include "test_hf_tokenizer.moc"
