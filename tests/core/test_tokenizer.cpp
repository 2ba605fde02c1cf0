// SentencePiece tokenizer: LLaMA BOS handling, byte-fallback round trips, the
// model-directory lookup, and clear errors for missing or corrupt files.
#include "support/test_support.h"

#include "demo/demo_model.h"
#include "model/model_loader.h"
#include "text/sentencepiece_tokenizer.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

class TestTokenizer : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

 private Q_SLOTS:
  void demo_tokenizer_encodes_like_llama() {
    const auto tok = irq::SentencePieceTokenizer::from_bytes(irq::demo_tokenizer_bytes(), "demo");
    QCOMPARE(tok->vocab_size(), int64_t(512));
    QCOMPARE(tok->bos_id(), int64_t(1));
    QCOMPARE(tok->eos_id(), int64_t(2));
    const auto ids = tok->encode("Once upon a time, the robot counted birds.", /*add_bos=*/true);
    QCOMPARE(ids.front(), int64_t(1));
    QVERIFY(ids.size() > 3);
    QCOMPARE(tok->piece(ids[1]).rfind("\xe2\x96\x81", 0), size_t(0));  // dummy-prefix space "▁"
    QCOMPARE(tok->decode(ids), std::string("Once upon a time, the robot counted birds."));
    QCOMPARE(tok->encode("x", /*add_bos=*/false).front() != 1, true);
  }

  void byte_fallback_roundtrips_any_utf8() {
    const auto tok = irq::SentencePieceTokenizer::from_bytes(irq::demo_tokenizer_bytes(), "demo");
    const std::string text = "Grüße, 東京 🙂 tab\there";
    QCOMPARE(tok->decode(tok->encode(text, true)), text);
  }

  void model_dir_lookup() {
    const auto tok = irq::open_tokenizer(irq::test::fixtures() / "tiny_llama");
    // tokenizer.model is converted as transformers' AutoTokenizer does (text/sentencepiece_conversion.h).
    QCOMPARE(tok->kind(), std::string("sentencepiece BPE (as transformers converts it)"));
    const auto sp = irq::SentencePieceTokenizer::from_bytes(irq::demo_tokenizer_bytes(), "demo");
    QCOMPARE(tok->encode("Once upon a time, the robot counted birds.", true), sp->encode("Once upon a time, the robot counted birds.", true));
    const fs::path empty = tmp() / "no-tokenizer";
    fs::create_directories(empty);
    QVERIFY(irq::test::throws_error([&] { irq::open_tokenizer(empty); }, ErrorKind::kNotFound, {empty.string(), "tokenizer.model"}));
    // tokenizer.json is now read (text/hf_tokenizer.h); an empty one is refused naming the file and the part.
    irq::test::write_file(empty / "tokenizer.json", "{}");
    QVERIFY(irq::test::throws_error([&] { irq::open_tokenizer(empty); }, ErrorKind::kInvalidInput,
                                    {(empty / "tokenizer.json").string(), "\"model\""}));
  }

  void corrupt_tokenizer_is_named() {
    const fs::path dir = tmp() / "corrupt";
    fs::create_directories(dir);
    irq::test::write_file(dir / "tokenizer.model", "this is not a protobuf");
    QVERIFY(irq::test::throws_error([&] { irq::open_tokenizer(dir); }, ErrorKind::kInvalidInput,
                                    {(dir / "tokenizer.model").string(), "not a sentencepiece model"}));
  }

  void loader_reports_missing_tokenizer() {
    const fs::path dir = tmp() / "model-without-tokenizer";
    fs::create_directories(dir);
    for (const char* f : {"config.json", "model.safetensors"}) fs::copy_file(irq::test::fixtures() / "tiny_llama" / f, dir / f);
    const auto loaded = irq::load_model(dir);  // weights alone load
    QVERIFY(!loaded.tokenizer);
    QVERIFY(irq::test::throws_error([&] { loaded.require_tokenizer(); }, ErrorKind::kNotFound, {dir.string(), "tokenizer.model"}));
    irq::LoadOptions strict;
    strict.require_tokenizer = true;
    QVERIFY(irq::test::throws_error([&] { irq::load_model(dir, strict); }, ErrorKind::kNotFound, {"tokenizer.model"}));
  }
};

IRQ_TEST_CASE(TestTokenizer, "test_tokenizer")
#include "test_tokenizer.moc"
