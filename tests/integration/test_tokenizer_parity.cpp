// tokenizer.json parity on >= 2 MB of mixed text from ../shared (TinyStories,
// Alpaca, all MMLU CSVs, the Unicode stress fixture), line by line, against
// the hashes of the PyPI `tokenizers` ids in tests/fixtures/tokenizers/
// shared_parity.json (scripts/checks/tokenizer_parity.py). The shared gpt2 and
// llama2 tokenizer.json are damaged copies that `tokenizers` refuses; the
// engine must refuse them too, naming the merge, and match on the repaired
// copies (scripts/checks/repair_shared_tokenizers.py does the same edits).
// Skips with a message where ../shared is absent.
#include "support/test_support.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "text/hf_tokenizer.h"
#include "text/utf8.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t fnv1a(const std::vector<std::vector<int64_t>>& docs) {
  uint64_t h = 0xCBF29CE484222325ull;
  auto eat = [&](int32_t v) {
    for (int k = 0; k < 4; ++k) {
      h ^= static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * k));
      h *= 0x100000001B3ull;
    }
  };
  for (const auto& ids : docs) {
    for (int64_t id : ids) eat(static_cast<int32_t>(id));
    eat(-1);
  }
  return h;
}

}  // namespace

class TestTokenizerParity : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path data_;
  std::vector<std::string> docs_;
  nlohmann::json golden_;

  void check(const std::string& name, const fs::path& dir) {
    const auto tok = irq::open_tokenizer(dir);
    std::vector<std::vector<int64_t>> ids;
    size_t count = 0;
    for (const auto& d : docs_) {
      ids.push_back(tok->encode(d, /*add_special=*/true));
      count += ids.back().size();
    }
    const auto& want = golden_.at("tokenizers").at(name);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(ids)));
    qInfo("%s: %zu lines, %zu ids, fnv1a64 %s (tokenizers: %s)", name.c_str(), docs_.size(), count, hex,
          want.at("fnv1a64").get<std::string>().c_str());
    QCOMPARE(count, want.at("ids").get<size_t>());
    QCOMPARE(std::string(hex), want.at("fnv1a64").get<std::string>());
  }

  fs::path repaired(const std::string& name) {
    auto j = nlohmann::json::parse(bytes_of(data_ / "tokenizers" / name / "tokenizer.json"));
    auto& m = j["model"];
    const std::string nb = "\xC2\xA0";
    if (name == "gpt2") {
      m["vocab"]["\xC4\xA0" "Claude"] = m["vocab"]["\xC4\xA0" "LLMProvider"];
      m["vocab"].erase("\xC4\xA0" "LLMProvider");
    } else {
      std::map<int64_t, std::string> fix = {{30081, nb}, {8655, nb + nb}, {17891, nb + nb + nb + nb}, {20246, "\xE2\x96\x81" + nb}};
      for (auto& [id, text] : fix) {
        for (auto it = m["vocab"].begin(); it != m["vocab"].end(); ++it)
          if (it.value() == id) {
            m["vocab"].erase(it.key());
            break;
          }
        m["vocab"][text] = id;
      }
      m["merges"][18917] = nb + " " + nb;
      m["merges"][38142] = nb + nb + " " + nb + nb;
      m["merges"][42805] = "\xE2\x96\x81 " + nb;
    }
    const fs::path dir = fs::path(tmp_.path().toStdString()) / name;
    fs::create_directories(dir);
    irq::test::write_file(dir / "tokenizer.json", j.dump());
    return dir;
  }

 private Q_SLOTS:
  void initTestCase() {
    data_ = irq::test::shared_data();
    if (data_.empty() || !fs::exists(data_ / "tokenizers" / "gpt2" / "tokenizer.json") || !fs::exists(data_ / "mmlu" / "data" / "test"))
      QSKIP("../shared/data (tokenizers, TinyStories, Alpaca, MMLU) is absent (set IRQ_SHARED_DATA to run this integration test)");
    golden_ = nlohmann::json::parse(bytes_of(irq::test::fixtures() / "tokenizers" / "shared_parity.json"));
    std::vector<fs::path> files = {data_ / "tinystories" / "tinystories_validation_head.txt", data_ / "alpaca" / "alpaca_data_1k.json"};
    for (const char* split : {"dev", "test"}) {
      std::vector<fs::path> csv;
      for (const auto& e : fs::directory_iterator(data_ / "mmlu" / "data" / split))
        if (e.path().extension() == ".csv") csv.push_back(e.path());
      std::sort(csv.begin(), csv.end(), [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
      files.insert(files.end(), csv.begin(), csv.end());
    }
    files.push_back(irq::test::fixtures() / "tokenizers" / "unicode_stress.txt");
    std::string all;
    for (const auto& f : files) all += bytes_of(f);
    QCOMPARE(all.size(), golden_.at("corpus_bytes").get<size_t>());
    QVERIFY(all.size() >= 2'000'000);
    all = irq::utf8::repair(all);
    size_t p = 0;
    for (;;) {
      const size_t e = all.find('\n', p);
      docs_.push_back(all.substr(p, e == std::string::npos ? std::string::npos : e - p));
      if (e == std::string::npos) break;
      p = e + 1;
    }
    QCOMPARE(docs_.size(), golden_.at("lines").get<size_t>());
  }

  void damaged_shared_copies_are_refused_like_the_reference() {
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(data_ / "tokenizers" / "gpt2"); }, ErrorKind::kInvalidInput,
                                    {"tokenizer.json", "merge 40303", "not in the vocab"}));
    QVERIFY(irq::test::throws_error([&] { irq::HfTokenizer::from_dir(data_ / "tokenizers" / "llama2"); }, ErrorKind::kInvalidInput,
                                    {"tokenizer.json", "merge 18917", "not two tokens"}));
  }
  void gpt2() { check("gpt2", repaired("gpt2")); }
  void llama2() { check("llama2", repaired("llama2")); }
  void llama3_fixture() { check("llama3", irq::test::fixtures() / "tokenizers" / "llama3"); }
  void qwen2_fixture() { check("qwen2", irq::test::fixtures() / "tokenizers" / "qwen2"); }
  void smollm_fixture() { check("smollm", irq::test::fixtures() / "tokenizers" / "smollm"); }
  void mistral_fixture() { check("mistral", irq::test::fixtures() / "tokenizers" / "mistral"); }
  // tokenizer.model only: as transformers' AutoTokenizer converts it (the reference evaluation's tokenizer).
  void stories260k_tokenizer_model() { check("stories260k_auto", data_ / "models" / "stories260K-hf"); }
};

IRQ_TEST_CASE(TestTokenizerParity, "test_tokenizer_parity")
#include "test_tokenizer_parity.moc"
