// config.json parsing: LLaMA / Qwen2 fixtures, derived defaults, and clear
// errors naming the file and the field for wrong or missing fields.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "io/json_file.h"
#include "model/llama_config.h"

using irq::ErrorKind;
using irq::LlamaConfig;
namespace fs = std::filesystem;

namespace {
nlohmann::json minimal() {
  return {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", 64},
          {"intermediate_size", 172}, {"num_attention_heads", 8}, {"num_key_value_heads", 4},
          {"num_hidden_layers", 5}, {"vocab_size", 512}};
}
}  // namespace

class TestLlamaConfig : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void parses_llama_fixture() {
    const auto c = LlamaConfig::from_file(irq::test::fixtures() / "tiny_llama" / "config.json");
    QCOMPARE(c.hidden_size, int64_t(64));
    QCOMPARE(c.num_key_value_heads, int64_t(2));
    QCOMPARE(c.num_kv_groups(), int64_t(2));
    QCOMPARE(c.head_dim, int64_t(16));
    QVERIFY(!c.tie_word_embeddings);
    QVERIFY(c.rope_scaling.has_value());
    QCOMPARE(c.rope_scaling->rope_type, std::string("llama3"));
    QCOMPARE(c.rope_scaling->factor, 8.0);
    QCOMPARE(c.rope_scaling->original_max_position_embeddings, int64_t(32));
    QCOMPARE(c.eos_token_ids, std::vector<int64_t>{2});
  }

  void parses_qwen2_fixture_with_biases() {
    const auto c = LlamaConfig::from_file(irq::test::fixtures() / "tiny_qwen2" / "config.json");
    QCOMPARE(c.model_type, std::string("qwen2"));
    QVERIFY(c.attention_bias);
    QVERIFY(!c.o_proj_bias);
    QVERIFY(c.tie_word_embeddings);
    QCOMPARE(c.rope_theta, 1e6);
  }

  void derives_defaults() {
    auto j = minimal();
    j.erase("num_key_value_heads");
    const auto c = LlamaConfig::from_json(j, "cfg");
    QCOMPARE(c.num_key_value_heads, int64_t(8));  // MHA when absent
    QCOMPARE(c.head_dim, int64_t(8));             // hidden / heads when absent
    QCOMPARE(c.rms_norm_eps, 1e-6);
    QVERIFY(!c.rope_scaling);
    j["eos_token_id"] = {128001, 128009};
    j["vocab_size"] = 128256;
    QCOMPARE(LlamaConfig::from_json(j, "cfg").eos_token_ids, (std::vector<int64_t>{128001, 128009}));
  }

  void roundtrips_through_json() {
    const auto c = LlamaConfig::from_file(irq::test::fixtures() / "tiny_llama" / "config.json");
    const auto d = LlamaConfig::from_json(c.to_json(), "roundtrip");
    QCOMPARE(d.to_json().dump(), c.to_json().dump());
  }

  void wrong_fields_are_named_data() {
    QTest::addColumn<QString>("patch");  // JSON merge patch applied to minimal()
    QTest::addColumn<QString>("needle");
    QTest::addColumn<int>("kind");
    const int invalid = static_cast<int>(ErrorKind::kInvalidInput), unsupported = static_cast<int>(ErrorKind::kUnsupported);
    QTest::newRow("kv heads do not divide") << R"({"num_key_value_heads":3})"
                                            << "field 'num_key_value_heads' = 3 does not divide num_attention_heads = 8" << invalid;
    QTest::newRow("negative size") << R"({"hidden_size":-64})" << "field 'hidden_size' must be positive" << invalid;
    QTest::newRow("string size") << R"({"intermediate_size":"172"})" << "field 'intermediate_size' must be an integer" << invalid;
    QTest::newRow("missing vocab") << R"({"vocab_size":null})" << "missing required field 'vocab_size'" << invalid;
    QTest::newRow("odd head dim") << R"({"head_dim":7})" << "field 'head_dim' must be even" << invalid;
    QTest::newRow("eos outside vocab") << R"({"eos_token_id":600})" << "field 'eos_token_id' 600 is outside vocab_size" << invalid;
    QTest::newRow("bad eps") << R"({"rms_norm_eps":0})" << "field 'rms_norm_eps' must be positive" << invalid;
    QTest::newRow("unknown architecture") << R"({"architectures":["GPT2LMHeadModel"],"model_type":"gpt2"})"
                                          << "architecture 'GPT2LMHeadModel'" << unsupported;
    QTest::newRow("yarn rope") << R"({"rope_scaling":{"rope_type":"yarn","factor":4}})" << "rope_scaling type 'yarn'" << unsupported;
    QTest::newRow("gelu") << R"({"hidden_act":"gelu"})" << "hidden_act" << unsupported;
    // Sizes that would reach the allocator (the fuzzer's 4 TB abort and endless layer loop).
    QTest::newRow("hidden 2^31") << R"({"hidden_size":2147483648})" << "field 'hidden_size' = 2147483648 is over the limit of 16777216"
                                 << invalid;
    QTest::newRow("layers 2^53+1") << R"({"num_hidden_layers":9007199254740993})"
                                   << "field 'num_hidden_layers' = 9007199254740993 is over the limit" << invalid;
    QTest::newRow("u64 max") << R"({"vocab_size":18446744073709551615})" << "field 'vocab_size' = 18446744073709551615 is over" << invalid;
    QTest::newRow("one matrix too big") << R"({"vocab_size":16000000,"hidden_size":16384})"
                                        << "vocab_size x hidden_size = 262144000000 elements in one matrix, over the limit" << invalid;
    QTest::newRow("three factors past 2^63") << R"({"hidden_size":8388608,"num_attention_heads":8388608,"num_key_value_heads":8388608,"head_dim":8388608})"
                                             << "num_attention_heads x head_dim x hidden_size = 590295810358705651712 elements" << invalid;
    QTest::newRow("long value cut short") << R"({"hidden_size":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26]})"
                                          << "must be an integer, found [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,..."
                                          << invalid;
  }

  void wrong_fields_are_named() {
    QFETCH(QString, patch);
    QFETCH(QString, needle);
    QFETCH(int, kind);
    auto j = minimal();
    j.merge_patch(nlohmann::json::parse(patch.toStdString()));
    for (auto it = j.begin(); it != j.end();) it = it->is_null() ? j.erase(it) : std::next(it);
    const fs::path path = fs::path(tmp_.path().toStdString()) / "config.json";
    irq::test::write_file(path, j.dump());
    QVERIFY(irq::test::throws_error([&] { LlamaConfig::from_file(path); }, static_cast<ErrorKind>(kind),
                                    {path.string(), needle.toStdString()}));
  }

  void invalid_json_and_missing_file() {
    const fs::path path = fs::path(tmp_.path().toStdString()) / "broken.json";
    irq::test::write_file(path, "{\"hidden_size\": 64,");
    QVERIFY(irq::test::throws_error([&] { LlamaConfig::from_file(path); }, ErrorKind::kInvalidInput, {path.string(), "not valid JSON"}));
    const fs::path absent = fs::path(tmp_.path().toStdString()) / "absent.json";
    QVERIFY(irq::test::throws_error([&] { LlamaConfig::from_file(absent); }, ErrorKind::kNotFound, {absent.string()}));
  }

  void hostile_files_are_refused_before_parsing() {
    const fs::path deep = fs::path(tmp_.path().toStdString()) / "deep.json";
    irq::test::write_file(deep, std::string(100000, '[') + std::string(100000, ']'));  // SIGSEGV before
    QVERIFY(irq::test::throws_error([&] { LlamaConfig::from_file(deep); }, ErrorKind::kInvalidInput,
                                    {deep.string(), "deeper than 64 levels"}));
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "config_dir";
    fs::create_directories(dir);
    QVERIFY(irq::test::throws_error([&] { LlamaConfig::from_file(dir); }, ErrorKind::kInvalidInput, {dir.string(), "not a regular file"}));
    const fs::path loop = fs::path(tmp_.path().toStdString()) / "loop.json";
    fs::create_symlink(loop, loop);  // "Too many levels of symbolic links" escaped as an internal error before
    QVERIFY(irq::test::throws_error([&] { LlamaConfig::from_file(loop); }, ErrorKind::kNotFound, {loop.string(), "cannot open"}));
    // Brackets inside strings are not nesting; 64 levels pass, 65 do not.
    const std::string quoted = std::string("{\"a\":\"[[[[{{{{\\\"]]]\"}");  // {"a":"[[[[{{{{\"]]]"}
    QCOMPARE(irq::json_nesting_depth(quoted, 64), 1);
    QCOMPARE(irq::json_nesting_depth(std::string(64, '[') + std::string(64, ']'), 64), 64);
    QCOMPARE(irq::json_nesting_depth(std::string(65, '[') + std::string(65, ']'), 64), 65);
    QVERIFY(irq::test::throws_error([] { irq::parse_json_text(std::string(10, ' '), "x.json", irq::JsonLimits{4, 64}); },
                                    ErrorKind::kInvalidInput, {"x.json", "10 bytes, over the limit of 4"}));
  }
};

IRQ_TEST_CASE(TestLlamaConfig, "test_llama_config")
#include "test_llama_config.moc"
