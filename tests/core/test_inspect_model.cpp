// Header-only opening (jobs/inspect_model.h) against the slow path beside
// it: summarize() of the fully loaded model, node by node (names, kinds,
// shapes, stored dtypes, tying, parameter counts), for a LLaMA fixture, a
// Qwen2 fixture (biases) and an ICQ-NF4 irq checkpoint; and the same errors
// for a checkpoint that does not match its config.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "jobs/inspect_model.h"
#include "model/model_loader.h"
#include "quant/model_quantizer.h"
#include "quant/quant_checkpoint.h"
#include "quant/quantize_model.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

void compare(const irq::ModuleNode& a, const irq::ModuleNode& b) {
  const QString where = QString::fromStdString(a.name.empty() ? "(root)" : a.name);
  if (a.name != b.name || a.short_name != b.short_name || a.kind != b.kind || a.weight_shape != b.weight_shape ||
      a.dtype != b.dtype || a.tied != b.tied || a.params != b.params || a.children.size() != b.children.size())
    QFAIL(qPrintable(where + QString(": header view %1 %2 %3 %4 vs loaded %5 %6 %7 %8")
                                 .arg(a.kind.c_str(), a.dtype.c_str()).arg(a.params).arg(a.children.size())
                                 .arg(b.kind.c_str(), b.dtype.c_str()).arg(b.params).arg(b.children.size())));
  for (size_t i = 0; i < a.children.size(); ++i) compare(a.children[i], b.children[i]);
}

void same_summary(const fs::path& dir) {
  const auto fast = irq::inspect_model(dir);
  const auto slow = irq::summarize(irq::load_model(dir));
  compare(fast.root, slow.root);
  QCOMPARE(fast.total_params, slow.total_params);
  QCOMPARE(fast.linear_params, slow.linear_params);
  QCOMPARE(fast.num_tensors, slow.num_tensors);
  QCOMPARE(fast.checkpoint_bytes, slow.checkpoint_bytes);
  QCOMPARE(fast.stored_dtype_params, slow.stored_dtype_params);
  QCOMPARE(fast.ignored_tensors, slow.ignored_tensors);
}

}  // namespace

class TestInspectModel : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

 private Q_SLOTS:
  void llama_fixture_matches_the_loaded_model() { same_summary(irq::test::fixtures() / "tiny_llama"); }
  void qwen2_fixture_matches_the_loaded_model() { same_summary(irq::test::fixtures() / "tiny_qwen2"); }
  void qwen3_fixture_matches_the_loaded_model() { same_summary(irq::test::fixtures() / "tiny_qwen3"); }

  void quantized_checkpoint_matches_the_loaded_model() {
    const fs::path out = tmp() / "tiny-icq-nf4";
    irq::ModelQuantOptions o;
    o.settings = irq::QuantSettings::for_method("nf4");
    std::map<std::string, irq::QuantizedTensor> quantized;
    irq::quantize_checkpoint(irq::test::fixtures() / "tiny_llama", o,
                             [&](const std::string& n, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) { quantized.emplace(n, std::move(q)); });
    irq::write_quant_checkpoint(irq::test::fixtures() / "tiny_llama", out, quantized, /*overwrite=*/false);
    same_summary(out);
    QVERIFY(irq::inspect_model(out).stored_dtype_params.count("ICQ-NF4"));
  }

  void mismatched_checkpoint_is_named() {
    const fs::path dir = tmp() / "wider";
    fs::create_directories(dir);
    for (const char* f : {"model.safetensors", "tokenizer.model"}) fs::copy_file(irq::test::fixtures() / "tiny_llama" / f, dir / f);
    auto config = nlohmann::json::parse(irq::test::read_file(irq::test::fixtures() / "tiny_llama" / "config.json"));
    config["intermediate_size"] = 128;
    irq::test::write_file(dir / "config.json", config.dump());
    QVERIFY(irq::test::throws_error([&] { irq::inspect_model(dir); }, ErrorKind::kInvalidInput,
                                    {"model.layers.0.mlp.gate_proj.weight", "config.json implies [128, 64]"}));
    QVERIFY(irq::test::throws_error([&] { irq::inspect_model(tmp() / "nowhere"); }, ErrorKind::kNotFound, {"nowhere"}));
  }
};

IRQ_TEST_CASE(TestInspectModel, "test_inspect_model")
#include "test_inspect_model.moc"
