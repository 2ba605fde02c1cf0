// Safetensors reader/writer: round trips of every dtype, zero-copy views,
// sharded checkpoints, and strict rejection of malformed files with errors
// that name the file and the tensor (format in core/io/safetensors.h).
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "io/safetensors_stream_writer.h"
#include "io/safetensors_writer.h"
#include "io/tensor_view.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

// A file from a raw header text and data bytes: lets tests write any header.
std::string raw_file(const std::string& header, const std::string& data) {
  std::string out;
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + data;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path path(const char* name) { return fs::path(tmp_.path().toStdString()) / name; }

 private Q_SLOTS:
  void roundtrip_all_dtypes() {
    std::vector<float> f32 = {1.5f, -2.25f, 3.0f, 0.0f, 7.0f, -1e-3f};
    std::vector<uint16_t> f16 = {0x3c00, 0xc000};
    std::vector<uint16_t> bf16 = {0x3f80, 0x4000, 0xbf80};
    std::vector<int64_t> i64 = {-1, 1ll << 40};
    std::vector<uint8_t> u8 = {0, 255, 7};
    std::vector<uint8_t> boolean = {1, 0};
    const auto p = path("all.safetensors");
    irq::write_safetensors(p,
                           {{"w.f32", irq::DType::kF32, {2, 3}, f32.data()},
                            {"w.f16", irq::DType::kF16, {2}, f16.data()},
                            {"w.bf16", irq::DType::kBF16, {3}, bf16.data()},
                            {"w.i64", irq::DType::kI64, {2}, i64.data()},
                            {"w.u8", irq::DType::kU8, {3}, u8.data()},
                            {"w.bool", irq::DType::kBool, {2}, boolean.data()},
                            {"w.empty", irq::DType::kF32, {0, 4}, nullptr}},
                           {{"format", "pt"}});
    const auto file = irq::SafetensorsFile::open(p);
    QCOMPARE(file.tensors().size(), size_t(7));
    QCOMPARE(file.metadata().at("format"), std::string("pt"));
    QCOMPARE(file.header_size() % 8, uint64_t(0));
    const auto* t = file.find("w.f32");
    QVERIFY(t != nullptr);
    QCOMPARE(t->shape, (std::vector<int64_t>{2, 3}));
    QVERIFY(std::memcmp(file.data(*t), f32.data(), f32.size() * 4) == 0);
    QCOMPARE(irq::tensor_view(file, *file.find("w.bf16"))[1].item<float>(), 2.0f);
    QCOMPARE(irq::tensor_view(file, *file.find("w.f16"))[1].item<float>(), -2.0f);
    QCOMPARE(irq::tensor_view(file, *file.find("w.i64"))[1].item<int64_t>(), int64_t(1) << 40);
    QCOMPARE(irq::tensor_view(file, *file.find("w.u8"))[1].item<int64_t>(), int64_t(255));
    QCOMPARE(irq::tensor_view(file, *file.find("w.bool"))[0].item<bool>(), true);
    QCOMPARE(irq::tensor_view(file, *file.find("w.empty")).numel(), int64_t(0));
  }

  void view_is_zero_copy_and_outlives_file_object() {
    std::vector<float> v(64, 0.5f);
    const auto p = path("view.safetensors");
    irq::write_safetensors(p, {{"x", irq::DType::kF32, {8, 8}, v.data()}});
    torch::Tensor view;
    {
      const auto file = irq::SafetensorsFile::open(p);
      view = irq::tensor_view(file, *file.find("x"));
      QCOMPARE(view.data_ptr(), static_cast<void*>(const_cast<uint8_t*>(file.data(*file.find("x")))));
    }
    QCOMPARE(view.sum().item<float>(), 32.0f);  // the mapping is still alive
  }

  void writer_refuses_duplicates_and_leaves_no_temp_file() {
    float x = 1;
    QVERIFY(irq::test::throws_error(
        [&] { irq::write_safetensors(path("dup.safetensors"), {{"a", irq::DType::kF32, {1}, &x}, {"a", irq::DType::kF32, {1}, &x}}); },
        ErrorKind::kUsage, {"duplicate", "'a'"}));
    const fs::path missing = path("no-such-dir") / "x.safetensors";
    QVERIFY(irq::test::throws_error([&] { irq::write_safetensors(missing, {{"a", irq::DType::kF32, {1}, &x}}); },
                                    ErrorKind::kIo, {missing.string()}));
    for (const auto& e : fs::directory_iterator(tmp_.path().toStdString()))
      QVERIFY2(e.path().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }

  void rejects_malformed_files_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("needle");
    const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string data(8, '\0');
    auto row = [](const char* name, const std::string& bytes, const char* needle) {
      QTest::newRow(name) << QByteArray(bytes.data(), static_cast<int>(bytes.size())) << QString(needle);
    };
    row("shorter than the length field", std::string("\x05\x00\x00", 3), "truncated");
    std::string huge = raw_file(ok_header, data);
    huge[0] = '\xff';
    huge[1] = '\xff';
    row("header length past the end", huge, "runs past the end of the file");
    row("header not JSON", raw_file("{not json", data), "not valid JSON");
    row("header not an object", raw_file("[1,2]", data), "not a JSON object");
    // 100,000 nested arrays: refused before nlohmann's recursive parser sees them.
    row("header nested 100000 deep", raw_file("{\"w\":" + std::string(100000, '[') + std::string(100000, ']') + "}", data),
        "deeper than 16 levels");
    row("unknown dtype", raw_file(R"({"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", data), "unknown dtype \"F33\"");
    row("shape x dtype != span", raw_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data),
        "tensor 'w': shape x dtype size = 12 bytes but data_offsets span 8");
    row("negative dimension", raw_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data), "negative");
    row("span past the end (truncated data)", raw_file(ok_header, std::string(4, '\0')),
        "tensor 'w': data_offsets [0, 8) run past the end");
    row("overlapping tensors",
        raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data),
        "tensor 'b' overlaps tensor 'a'");
    row("gap between tensors",
        raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})", data),
        "gap of 4 bytes before tensor 'b'");
    row("trailing bytes", raw_file(ok_header, data + "xxxx"), "4 trailing bytes");
    row("end before begin", raw_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", data), "end < begin");
    row("metadata not strings", raw_file(R"({"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data),
        "__metadata__");
  }

  void rejects_malformed_files() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, needle);
    const auto p = path("bad.safetensors");
    irq::test::write_file(p, bytes.toStdString());
    QVERIFY(irq::test::throws_error([&] { irq::SafetensorsFile::open(p); }, ErrorKind::kInvalidInput,
                                    {p.string(), needle.toStdString()}));
  }

  void stream_writer_checks_order_and_cleans_up() {
    const auto p = path("stream.safetensors");
    std::vector<float> a(6, 1.5f);
    std::vector<uint8_t> b(3, 7);
    {
      irq::SafetensorsStreamWriter w(p, {{"a", irq::DType::kF32, {2, 3}}, {"b", irq::DType::kU8, {3}}}, {{"k", "v"}});
      QVERIFY(irq::test::throws_error([&] { w.write("b", b.data(), 3); }, ErrorKind::kUsage, {"expected tensor 'a'"}));
      QVERIFY(irq::test::throws_error([&] { w.write("a", a.data(), 8); }, ErrorKind::kUsage, {"8 bytes, declared 24"}));
      w.write("a", a.data(), 24);
      QVERIFY(irq::test::throws_error([&] { w.finish(); }, ErrorKind::kUsage, {"'b' was never written"}));
    }  // abandoned: nothing is left behind
    QVERIFY(!fs::exists(p));
    for (const auto& e : fs::directory_iterator(tmp_.path().toStdString()))
      QVERIFY2(e.path().string().find(".tmp-") == std::string::npos, e.path().c_str());
    irq::SafetensorsStreamWriter w(p, {{"a", irq::DType::kF32, {2, 3}}, {"b", irq::DType::kU8, {3}}});
    w.write("a", a.data(), 24);
    w.write("b", b.data(), 3);
    w.finish();
    const auto f = irq::SafetensorsFile::open(p);  // a valid file, same bytes as the in-memory writer
    QCOMPARE(irq::tensor_view(f, *f.find("b"))[2].item<int64_t>(), int64_t(7));
    QCOMPARE(irq::test::read_file(p),
             irq::serialize_safetensors({{"a", irq::DType::kF32, {2, 3}, a.data()}, {"b", irq::DType::kU8, {3}, b.data()}}));
  }

  void missing_file_is_not_found() {
    const auto p = path("absent.safetensors");
    QVERIFY(irq::test::throws_error([&] { irq::SafetensorsFile::open(p); }, ErrorKind::kNotFound, {p.string()}));
  }

  void sharded_checkpoint() {
    const fs::path dir = path("sharded");
    fs::create_directories(dir);
    std::vector<float> a(4, 1.0f), b(6, 2.0f);
    irq::write_safetensors(dir / "model-00001-of-00002.safetensors", {{"a", irq::DType::kF32, {2, 2}, a.data()}});
    irq::write_safetensors(dir / "model-00002-of-00002.safetensors", {{"b", irq::DType::kF32, {6}, b.data()}});
    nlohmann::json index = {{"metadata", {{"total_size", 40}}},
                            {"weight_map", {{"a", "model-00001-of-00002.safetensors"}, {"b", "model-00002-of-00002.safetensors"}}}};
    irq::test::write_file(dir / "model.safetensors.index.json", index.dump());
    const auto ckpt = irq::CheckpointWeights::open(dir);
    QCOMPARE(ckpt.files().size(), size_t(2));
    QCOMPARE(ckpt.names(), (std::vector<std::string>{"a", "b"}));
    const auto e = ckpt.find("b");
    QVERIFY(e.file != nullptr);
    QCOMPARE(irq::tensor_view(*e.file, *e.info).sum().item<float>(), 12.0f);
    QVERIFY(ckpt.find("c").file == nullptr);

    index["weight_map"]["a"] = "model-00002-of-00002.safetensors";
    irq::test::write_file(dir / "model.safetensors.index.json", index.dump());
    QVERIFY(irq::test::throws_error([&] { irq::CheckpointWeights::open(dir); }, ErrorKind::kInvalidInput,
                                    {"model.safetensors.index.json", "'a'", "does not hold it"}));
    index["weight_map"]["a"] = "model-00003-of-00002.safetensors";
    irq::test::write_file(dir / "model.safetensors.index.json", index.dump());
    QVERIFY(irq::test::throws_error([&] { irq::CheckpointWeights::open(dir); }, ErrorKind::kNotFound,
                                    {"model-00003-of-00002.safetensors"}));
    index["weight_map"]["a"] = "../escape.safetensors";
    irq::test::write_file(dir / "model.safetensors.index.json", index.dump());
    QVERIFY(irq::test::throws_error([&] { irq::CheckpointWeights::open(dir); }, ErrorKind::kInvalidInput, {"leaves the model directory"}));
  }

  void directory_without_weights() {
    const fs::path dir = path("empty-model");
    fs::create_directories(dir);
    QVERIFY(irq::test::throws_error([&] { irq::CheckpointWeights::open(dir); }, ErrorKind::kNotFound,
                                    {dir.string(), "no model.safetensors"}));
  }
};

IRQ_TEST_CASE(TestSafetensors, "test_safetensors")
#include "test_safetensors.moc"
