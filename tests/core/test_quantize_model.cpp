// Quantizing whole models: streaming over a checkpoint with statistics,
// in-place quantization of a loaded model, the irqlora-quant checkpoint
// (write, reload without the original, identical dequantized weights and
// logits), torch-op dequantization against the plugins' CPU dequantization,
// cancellation, and the table of built-in formats.
#include "support/test_support.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "io/checkpoint.h"
#include "model/model_loader.h"
#include "quant/model_quantizer.h"
#include "quant/quant_checkpoint.h"
#include "quant/quant_format.h"
#include "quant/quantized_tensor.h"
#include "quant/dynamic_map.h"
#include "quant/load_quantized.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {
// A 4-bit base (weight SQNR ~20 dB) moves the tiny random model's logits by
// at most this relative RMS.
constexpr double kMaxNf4RelativeLogitRms = 0.2;

irq::ModelQuantOptions quant_options(const std::string& method, bool icq = true) {
  irq::ModelQuantOptions o;
  o.settings = irq::QuantSettings::for_method(method);
  o.settings.icq = icq;
  return o;
}
}  // namespace

class TestQuantizeModel : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

  // An irqlora-quant checkpoint of the tiny model with only q_proj quantized.
  fs::path q_proj_checkpoint(const char* name, const char* method) {
    const fs::path out = tmp() / name;
    std::map<std::string, irq::QuantizedTensor> quantized;
    auto o = quant_options(method);
    o.targets = {"q_proj"};
    irq::quantize_checkpoint(tiny(), o, [&](const std::string& n, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) {
      quantized.emplace(n, std::move(q));
    });
    irq::write_quant_checkpoint(tiny(), out, quantized, false);
    return out;
  }
  fs::path tiny() { return irq::test::fixtures() / "tiny_llama"; }

 private Q_SLOTS:
  // bits/weight as stored (quant/quantized_tensor.h): plain NF4 is
  // bitsandbytes' NF4 with double quantization, ICQ-NF4 adds its 8-bit tau.
  // 256 x 64 weights: 256 blocks of 64, one group of 256 blocks.
  void nf4_bits_per_weight_count_what_is_stored() {
    QCOMPARE(irq::nearest_dynamic_index(0.0f), irq::kDynamicMapZero);
    QCOMPARE(irq::dynamic_map_8bit()[irq::kDynamicMapZero], 0.0f);
    auto w = torch::randn({256, 64}) * 0.02;
    auto bits = [&](bool icq, irq::QuantizedTensor* q) {
      irq::QuantJob job;
      job.weight = w.data_ptr<float>();
      job.shape = {256, 64};
      job.name = "w";
      job.settings = irq::QuantSettings::for_method("nf4");
      job.settings.icq = icq;
      irq::LayerQuantStats st;
      irq::require_quant_format("nf4").quantize(job, q, &st);
      return st.bits_per_weight;
    };
    const double numel = 256.0 * 64.0, B = 64.0;
    irq::QuantizedTensor plain, icq;
    QCOMPARE(bits(false, &plain), 4.0 + 8.0 / B + 32.0 / (B * 256.0) + 32.0 / numel);  // 4.1289: 4.127 + the one offset
    QCOMPARE(bits(true, &icq), 4.0 + 2 * (8.0 / B + 32.0 / (B * 256.0)) + 32.0 / numel);
    // plain NF4 holds tau = 0 in memory for its kernels: the map's zero, scale 0
    for (uint8_t t : plain.part<uint8_t>("tau_q")) QCOMPARE(t, irq::kDynamicMapZero);
    for (float t : plain.part<float>("tau_scale")) QCOMPARE(t, 0.0f);
  }

  // A plain NF4 checkpoint stores no tau and loads back to the very payload
  // (the same hash an adapter checks).
  void plain_nf4_checkpoint_stores_no_tau() {
    std::map<std::string, irq::QuantizedTensor> quantized;
    irq::quantize_checkpoint(tiny(), quant_options("nf4", /*icq=*/false),
                             [&](const std::string& n, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) { quantized.emplace(n, std::move(q)); });
    const fs::path out = tmp() / "tiny-plain-nf4";
    irq::write_quant_checkpoint(tiny(), out, quantized, /*overwrite=*/false);
    const auto weights = irq::CheckpointWeights::open(out);
    QVERIFY(!weights.find("model.layers.0.self_attn.q_proj.weight.tau_q").file);
    QVERIFY(weights.find("model.layers.0.self_attn.q_proj.weight.absmax_q").file);
    const auto loaded = irq::read_quantized_tensors(out, weights);
    QCOMPARE(loaded.size(), quantized.size());
    for (const auto& [name, q] : quantized) QCOMPARE(irq::payload_hash(loaded.at(name)), irq::payload_hash(q));
  }

  void streams_every_projection_with_stats() {
    std::vector<std::string> seen;
    const auto stats = irq::quantize_checkpoint(tiny(), quant_options("nf4"), [&](const std::string& name, irq::QuantizedTensor&& q,
                                                                          const irq::LayerQuantStats& s) {
      seen.push_back(name);
      QCOMPARE(q.shape, s.shape);
    });
    QCOMPARE(seen.size(), size_t(14));  // 2 layers x 7 projections
    QCOMPARE(seen.front(), std::string("model.layers.0.self_attn.q_proj.weight"));
    QCOMPARE(stats.layers.size(), size_t(14));
    QVERIFY(stats.mean_entropy > stats.mean_entropy_plain);  // ICQ raises code entropy
    QVERIFY(stats.sqnr_db > 15 && stats.sqnr_db < 30);
    QVERIFY(stats.bits_per_weight > 4.0 && stats.bits_per_weight < 4.5);
    const auto& l = stats.layers[0];
    QCOMPARE(l.blocks, int64_t(64 * 64 / 64));
    int64_t hist = 0;
    for (auto c : l.code_histogram) hist += c;
    QCOMPARE(hist, l.blocks * 64);
    const auto j = irq::to_json(stats, /*per_block=*/true);
    QCOMPARE(j["layers"][0]["block"]["entropy"].size(), size_t(l.blocks));
    QVERIFY(j["entropy_gain"].get<double>() > 0);
    QVERIFY(!irq::to_json(stats, false)["layers"][0].contains("block"));
  }

  void targets_select_projections() {
    auto o = quant_options("int4");
    o.targets = irq::parse_targets("q,v");
    const auto stats = irq::quantize_checkpoint(tiny(), o);
    QCOMPARE(stats.layers.size(), size_t(4));
    QVERIFY(irq::test::throws_error([] { irq::parse_targets("q,x"); }, ErrorKind::kUsage, {"unknown projection 'x_proj'"}));
  }

  // The payload hash adapters store (irqlora.base.<module>.hash) keeps its
  // value: these were computed with the hash adapters have been saved with
  // (QuantizedTensor with one field per part); a changed hash would refuse
  // the base of every adapter saved before it.
  void payload_hash_keeps_the_value_adapters_store() {
    std::vector<float> w(48 * 200);
    for (size_t i = 0; i < w.size(); ++i)  // integers only: the same floats under any libm
      w[i] = static_cast<float>(static_cast<int64_t>((i * 2654435761u) % 4001) - 2000) / 65536.0f;
    const std::vector<std::pair<const char*, uint64_t>> want = {
        {"nf4", 0x62b5ae8197b18991ull}, {"nf4-plain", 0x3d5f4f64c9f65652ull}, {"int4", 0xadfec4efe2c325f4ull}, {"int3", 0xfc81a3c98333e800ull}};
    for (const auto& [label, hash] : want) {
      const std::string method = std::string(label) == "nf4-plain" ? "nf4" : label;
      irq::QuantJob job;
      job.weight = w.data();
      job.shape = {48, 200};
      job.name = "w";
      job.settings = irq::QuantSettings::for_method(method);
      job.settings.icq = std::string(label) != "nf4-plain";
      irq::QuantizedTensor q;
      irq::LayerQuantStats st;
      irq::require_quant_format(method).quantize(job, &q, &st);
      qInfo("%s payload hash 0x%016llx", label, static_cast<unsigned long long>(irq::payload_hash(q)));
      QCOMPARE(irq::payload_hash(q), hash);
    }
  }

  void torch_dequant_equals_plugin_dequant() {
    for (const char* method : {"nf4", "int4", "int3", "int2", "int8"}) {
      auto w = torch::randn({48, 200}) * 0.02;  // 9600 weights: NF4 padding and a short INT group
      irq::QuantJob job;
      job.weight = w.data_ptr<float>();
      job.shape = {48, 200};
      job.name = "w";
      job.settings = irq::QuantSettings::for_method(method);
      const auto& f = irq::require_quant_format(method);
      irq::QuantizedTensor q;
      irq::LayerQuantStats st;
      f.quantize(job, &q, &st);
      auto host = torch::empty({48, 200});
      f.dequantize(q, host.data_ptr<float>());
      const auto dev = irq::QuantizedWeight::from_host(q, torch::kCPU).dequantize();
      QVERIFY2(dev.equal(host), method);
      QVERIFY2(irq::QuantizedWeight::from_host(q, torch::kCPU).to_host().codes() == q.codes(), method);
      QVERIFY2(irq::QuantizedWeight::from_host(q, torch::kCPU).to_host().parts == q.parts, method);  // every part, in order
    }
  }

  // Quantize on load (the full-precision model never built) against the
  // slow path beside it: load in full precision, then quantize in place.
  void quantize_on_load_equals_load_then_quantize() {
    for (const char* method : {"nf4", "int4"}) {
      auto slow = irq::load_model(tiny());
      irq::quantize_model(slow, quant_options(method));
      irq::ModelQuantStats stats;
      auto fast = irq::load_quantized(tiny(), {}, quant_options(method), &stats);
      QCOMPARE(stats.layers.size(), size_t(14));
      QVERIFY(stats.layers[0].entropy.empty());  // per-block arrays dropped on load
      QVERIFY(stats.mean_entropy > 0);
      torch::NoGradGuard no_grad;
      const auto ids = torch::tensor({1, 5, 9, 200, 7, 31}, torch::kInt64).view({1, -1});
      const auto a = slow.model->forward(ids), b = fast.model->forward(ids);
      QCOMPARE((a - b).abs().max().item<double>(), 0.0);
      int quantized = 0;
      for (const auto& m : fast.model->named_modules("", false))
        if (const auto* l = m.value()->as<irq::LinearImpl>(); l && irq::quantized_weight(*l)) {
          ++quantized;
          QCOMPARE(l->weight.numel(), int64_t(0));  // no float copy kept
        }
      QCOMPARE(quantized, 14);
    }
  }

  void checkpoint_roundtrip_and_in_place_agree() {
    const fs::path out = tmp() / "tiny-nf4";
    std::map<std::string, irq::QuantizedTensor> quantized;
    irq::quantize_checkpoint(tiny(), quant_options("nf4"), [&](const std::string& n, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) {
      quantized.emplace(n, std::move(q));
    });
    irq::write_quant_checkpoint(tiny(), out, quantized, /*overwrite=*/false);
    QVERIFY(fs::exists(out / "irqlora_quant.json"));
    QVERIFY(fs::exists(out / "tokenizer.model"));
    QVERIFY(irq::test::throws_error([&] { irq::write_quant_checkpoint(tiny(), out, quantized, false); }, ErrorKind::kUsage,
                                    {out.string(), "--force"}));

    auto reloaded = irq::load_model(out);  // no access to the original weights needed
    auto in_place = irq::load_model(tiny());
    auto fp = irq::load_model(tiny());
    irq::quantize_model(in_place, quant_options("nf4"));
    const auto* q0 = reloaded.model->model->layers->at<irq::LlamaDecoderLayerImpl>(0).self_attn->q_proj.get();
    QVERIFY(irq::quantized_weight(*q0) != nullptr);
    QCOMPARE(q0->weight.numel(), int64_t(0));
    const auto* q1 = in_place.model->model->layers->at<irq::LlamaDecoderLayerImpl>(0).self_attn->q_proj.get();
    QVERIFY(irq::quantized_weight(*q0)->dequantize().equal(irq::quantized_weight(*q1)->dequantize()));
    QVERIFY(reloaded.ignored_tensors.empty());

    const auto ids = torch::tensor({1, 17, 300, 42, 99}).view({1, -1});
    torch::NoGradGuard no_grad;
    const auto a = reloaded.model->forward(ids), b = in_place.model->forward(ids), c = fp.model->forward(ids);
    QVERIFY(a.equal(b));
    irq::test::max_abs_diff(a, c, "nf4 vs fp logits");
    const double rel = ((a - c).pow(2).mean().sqrt() / c.pow(2).mean().sqrt()).item<double>();
    qInfo("relative RMS logit change of the NF4 base: %.4f", rel);
    QVERIFY(rel > 0 && rel < kMaxNf4RelativeLogitRms);
  }

  // The checkpoint behind a loaded model breaks before it is quantized: the
  // error names the file (no fallback to the model's compute-dtype copy).
  void broken_source_checkpoint_is_named() {
    const fs::path dir = tmp() / "broken-source";
    fs::create_directories(dir);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.model"}) fs::copy_file(tiny() / f, dir / f);
    auto loaded = irq::load_model(dir);
    // A new file in its place (the loaded model's mapping keeps the old one).
    irq::test::write_file(dir / "model.safetensors.new", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
    fs::rename(dir / "model.safetensors.new", dir / "model.safetensors");
    QVERIFY(irq::test::throws_error([&] { irq::quantize_model(loaded, quant_options("nf4")); }, ErrorKind::kInvalidInput,
                                    {"model.safetensors"}));
  }

  void broken_quant_checkpoint_is_named() {
    const fs::path out = q_proj_checkpoint("broken-q", "nf4");
    auto meta = nlohmann::json::parse(irq::test::read_file(out / "irqlora_quant.json"));
    meta["shapes"]["model.layers.0.self_attn.q_proj.weight"] = {64, 32};
    irq::test::write_file(out / "irqlora_quant.json", meta.dump());
    QVERIFY(irq::test::throws_error([&] { irq::load_model(out); }, ErrorKind::kInvalidInput,
                                    {"irqlora_quant.json", "model.layers.0.self_attn.q_proj.weight"}));
    meta["version"] = 9;
    irq::test::write_file(out / "irqlora_quant.json", meta.dump());
    QVERIFY(irq::test::throws_error([&] { irq::load_model(out); }, ErrorKind::kUnsupported, {"version 9"}));
  }

  // Hostile irqlora_quant.json: each a clean kInvalidInput/kUnsupported
  // naming the file and the rule, before any size is computed from it.
  void hostile_quant_description_is_refused() {
    const fs::path out = q_proj_checkpoint("hostile-q", "int4");
    const auto good = nlohmann::json::parse(irq::test::read_file(out / "irqlora_quant.json"));
    QVERIFY(irq::read_quant_meta(out).has_value());
    const std::string q = "model.layers.0.self_attn.q_proj.weight";
    struct Case {
      const char* what;
      std::function<void(nlohmann::json&)> mutate;
      ErrorKind kind;
      const char* message;
    };
    const std::vector<Case> cases = {
        {"negative dimension", [&](auto& m) { m["shapes"][q] = {-64, 64}; }, ErrorKind::kInvalidInput, "each dimension must be in [1, 2^31)"},
        {"2^32 dimension", [&](auto& m) { m["shapes"][q] = {4294967296LL, 4294967296LL}; }, ErrorKind::kInvalidInput, "each dimension must be in [1, 2^31)"},
        {"2^62 elements", [&](auto& m) { m["shapes"][q] = {2147483647LL, 2147483647LL}; }, ErrorKind::kInvalidInput, "more than 2^40 elements"},
        {"three dimensions", [&](auto& m) { m["shapes"][q] = {2, 2, 2}; }, ErrorKind::kInvalidInput, "1 or 2 dimensions"},
        {"float dimension", [&](auto& m) { m["shapes"][q] = {64.5, 64}; }, ErrorKind::kInvalidInput, "dimensions must be integers"},
        {"shape not a list", [&](auto& m) { m["shapes"][q] = "64x64"; }, ErrorKind::kInvalidInput, "1 or 2 dimensions"},
        {"no shape", [&](auto& m) { m["shapes"].erase(q); }, ErrorKind::kInvalidInput, "'shapes' has no entry for"},
        {"no settings", [&](auto& m) { m.erase("settings"); }, ErrorKind::kInvalidInput, "has no 'settings'"},
        {"format an array", [&](auto& m) { m["format"] = {1}; }, ErrorKind::kInvalidInput, "not an irqlora-quant description"},
        {"version a string", [&](auto& m) { m["version"] = "1"; }, ErrorKind::kUnsupported, "version \"1\""},
        {"name not a string", [&](auto& m) { m["quantized"] = {{1}}; }, ErrorKind::kInvalidInput, "not a name"},
        {"quantized an object", [&](auto& m) { m["quantized"] = nlohmann::json::object(); }, ErrorKind::kInvalidInput, "must be a list"},
        {"method a number", [&](auto& m) { m["settings"]["method"] = 5; }, ErrorKind::kInvalidInput, "bad quantization settings"},
        {"bits 5", [&](auto& m) { m["settings"]["bits"] = 5; }, ErrorKind::kInvalidInput, "integer bits must be 2, 3, 4 or 8"},
        {"block size -1", [&](auto& m) { m["settings"]["block_size"] = -1; }, ErrorKind::kInvalidInput, "block/group size"},
    };
    for (const auto& c : cases) {
      auto meta = good;
      c.mutate(meta);
      irq::test::write_file(out / "irqlora_quant.json", meta.dump());
      qInfo("%s", c.what);
      QVERIFY2(irq::test::throws_error([&] { irq::read_quant_meta(out); }, c.kind, {"irqlora_quant.json", c.message}), c.what);
    }
    // A part whose stored size disagrees with the declared shape: refused before it is read.
    auto meta = good;
    meta["shapes"][q] = {32, 64};
    irq::test::write_file(out / "irqlora_quant.json", meta.dump());
    const auto weights = irq::CheckpointWeights::open(out);
    QVERIFY(irq::test::throws_error([&] { irq::read_quantized_tensors(out, weights); }, ErrorKind::kInvalidInput,
                                    {"irqlora_quant.json", "does not match the shape of '" + q + "'"}));
  }

  void cancel_stops_and_writes_nothing() {
    irq::CancelToken cancel;
    cancel.cancel();
    auto o = quant_options("nf4");
    o.cancel = &cancel;
    QVERIFY(irq::test::throws_error([&] { irq::quantize_checkpoint(tiny(), o); }, ErrorKind::kCancelled, {"cancelled"}));
  }

  // The formats are static plugins (plugins/CMakeLists.txt): both are in the
  // table, and a method no format provides names the ones there are.
  void unknown_method_names_the_formats_there_are() {
    const auto names = irq::quant_format_names();
    QVERIFY(std::find(names.begin(), names.end(), "nf4") != names.end());
    QVERIFY(std::find(names.begin(), names.end(), "int") != names.end());
    QVERIFY(irq::test::throws_error([] { irq::require_quant_format("fp6"); }, ErrorKind::kUnsupported,
                                    {"'fp6'", "formats in this build: nf4, int"}));
  }

};

IRQ_TEST_CASE(TestQuantizeModel, "test_quantize_model")
#include "test_quantize_model.moc"
