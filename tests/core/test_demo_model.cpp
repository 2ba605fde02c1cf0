// The built-in demo model: deterministic bytes, HF layout, loads through the
// same loader as any checkpoint, and ensure_demo_model() keeps a current copy.
#include "support/test_support.h"

#include "demo/demo_model.h"
#include "model/generate.h"
#include "model/model_loader.h"

namespace fs = std::filesystem;

class TestDemoModel : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

 private Q_SLOTS:
  void is_deterministic() {
    irq::write_demo_model(tmp() / "a");
    irq::write_demo_model(tmp() / "b");
    for (const char* f : {"model.safetensors", "config.json", "tokenizer.model"})
      QVERIFY2(irq::test::read_file(tmp() / "a" / f) == irq::test::read_file(tmp() / "b" / f), f);
    for (const auto& e : fs::directory_iterator(tmp()))
      QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }

  void loads_like_a_real_checkpoint() {
    const fs::path dir = irq::ensure_demo_model(tmp() / "demo");
    irq::LoadOptions options;
    options.require_tokenizer = true;
    auto loaded = irq::load_model(dir, options);
    const irq::DemoSpec spec;
    QCOMPARE(loaded.config.num_hidden_layers, spec.num_layers);
    QCOMPARE(loaded.config.hidden_size, spec.hidden_size);
    QCOMPARE(loaded.config.num_key_value_heads, spec.num_kv_heads);
    QCOMPARE(loaded.stored_dtypes.at("model.layers.0.self_attn.q_proj.weight"), std::string("BF16"));
    irq::GenerateOptions g;
    g.max_new_tokens = 8;
    g.stop_at_eos = false;
    const auto prompt = loaded.require_tokenizer().encode("Once upon a time", true);
    QCOMPARE(irq::generate(loaded.model, prompt, g).size(), size_t(8));
    // The weights are finite and have the heavy tail the generator promises.
    const auto w = loaded.model->model->layers->at<irq::LlamaDecoderLayerImpl>(0).mlp->up_proj->weight;
    QVERIFY(torch::isfinite(w).all().item<bool>());
    const double kurtosis = ((w - w.mean()).pow(4).mean() / (w.var().pow(2))).item<double>();
    qInfo("up_proj kurtosis %.2f", kurtosis);
    QVERIFY(kurtosis > 3.5);  // heavier than a normal's 3
  }

  void ensure_keeps_a_current_copy() {
    const fs::path dir = irq::ensure_demo_model(tmp() / "keep");
    const auto stamp = fs::last_write_time(dir / "model.safetensors");
    irq::ensure_demo_model(dir);
    QCOMPARE(fs::last_write_time(dir / "model.safetensors"), stamp);
    irq::test::write_file(dir / "irqlora_demo.json", R"({"version": 0})");  // an older generator
    irq::ensure_demo_model(dir);
    QVERIFY(irq::test::read_file(dir / "irqlora_demo.json").find("\"version\": 0") == std::string::npos);
  }

  // A stamp that is not the generator's (garbage, wrong types, 100,000 levels
  // deep, a directory in its place) means "write the model again", never a
  // crash or an exception out of ensure_demo_model.
  void a_bad_stamp_rewrites_the_model() {
    const fs::path dir = irq::ensure_demo_model(tmp() / "bad");
    for (const std::string stamp : {std::string("not json"), std::string(R"({"version": "1"})"), std::string(R"({"version": 1e300})"),
                                    std::string(R"([1])"), std::string(100000, '[') + std::string(100000, ']')}) {
      irq::test::write_file(dir / "irqlora_demo.json", stamp);
      irq::ensure_demo_model(dir);
      QVERIFY2(irq::test::read_file(dir / "irqlora_demo.json").find("irqlora demo") != std::string::npos, stamp.substr(0, 20).c_str());
    }
    fs::remove(dir / "irqlora_demo.json");
    fs::create_directories(dir / "irqlora_demo.json");
    irq::ensure_demo_model(dir);
    QVERIFY(fs::is_regular_file(dir / "irqlora_demo.json"));
  }
};

IRQ_TEST_CASE(TestDemoModel, "test_demo_model")
#include "test_demo_model.moc"
