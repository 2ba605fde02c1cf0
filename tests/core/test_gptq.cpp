// GPTQ with and without ICQ (core/quant/gptq) against the independent torch
// reference of AutoGPTQ's fasterquant and IR-QLoRA's quantizer_icq.py
// (scripts/fixtures/gptq_reference.py; fixtures by make_gptq_fixtures.py):
// - solver level, committed fixtures (stories260K layer 0's q_proj and
//   down_proj with their calibration Hessians), three configs: INT3 g32 ICQ,
//   INT4 g32 symmetric act-order (static groups), INT2 per channel ICQ;
// - model level (integration, ../shared): the whole stories260K pass from the
//   TinyStories text, calibration ids included.
// Criteria (the issue's): identical codes on >= 99.9% of weights, scales and
// zeros within 1e-6 relative, the same quantization error to 1e-6 relative.
// Properties that fail when the algorithm is wrong: GPTQ's Hessian-weighted
// error below round-to-nearest's with the same parameters; dead inputs give
// zero columns; the calibration sampler's documented stream.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "io/tensor_view.h"
#include "model/llama_config.h"
#include "quant/gptq/calibration.h"
#include "quant/gptq/gptq_params.h"
#include "quant/gptq/gptq_solver.h"
#include "quant/model_quantizer.h"
#include "quant/quant_format.h"
#include "text/tokenizer.h"

using irq::ErrorKind;

namespace {

constexpr double kMinSameCodes = 0.999;
constexpr double kMaxParamRelError = 1e-6;
constexpr double kMaxErrorRelDiff = 1e-6;

struct Config {
  const char* name;
  const char* method;
  int64_t group;  // 0: per channel
  bool sym, icq, act_order;
};
const Config kConfigs[] = {{"int3_g32_icq", "int3", 32, false, true, false},
                           {"int4_g32_sym_actorder", "int4", 32, true, false, true},
                           {"int2_channel_icq", "int2", 0, false, true, false}};

irq::QuantSettings settings_of(const Config& c) {
  auto s = irq::QuantSettings::for_method(c.method);
  s.block_size = c.group;
  s.icq = c.icq;
  s.gptq.enabled = true;
  s.gptq.sym = c.sym;
  s.gptq.act_order = c.act_order;
  s.gptq.calib = "fixture";
  return s;
}

torch::Tensor get(const irq::SafetensorsFile& f, const std::string& name) {
  const auto* info = f.find(name);
  if (!info) throw std::runtime_error("fixture has no tensor " + name);
  return irq::tensor_view(f, *info).clone();
}

torch::Tensor unpack(const uint8_t* packed, int64_t count, int bits) {
  auto out = torch::empty({count}, torch::kUInt8);
  irq::unpack_codes(packed, count, bits, out.data_ptr<uint8_t>());
  return out;
}

torch::Tensor host_vector(const std::vector<float>& v) {
  return torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kFloat32).clone();
}

double mse_of(const irq::QuantizedTensor& q, const torch::Tensor& w) {
  const auto& f = irq::require_quant_format(q.settings.method);
  auto dq = torch::empty({q.rows(), q.cols()}, torch::kFloat32);
  f.dequantize(q, dq.data_ptr<float>());
  return (w.to(torch::kFloat64) - dq.to(torch::kFloat64)).pow(2).mean().item<double>();
}

// Compares one quantized tensor with the reference's prefix.* entries.
bool matches(const char* what, const irq::QuantizedTensor& q, double mse, const irq::SafetensorsFile& f, const std::string& prefix) {
  const int64_t n = q.numel();
  const auto ref_codes = get(f, prefix + ".codes");
  const auto ours = unpack(q.codes().data(), n, q.settings.bits);
  const auto theirs = unpack(ref_codes.data_ptr<uint8_t>(), n, q.settings.bits);
  const double same = ours.eq(theirs).to(torch::kFloat64).mean().item<double>();
  auto rel = [](const torch::Tensor& a, const torch::Tensor& b) {
    return ((a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs() / b.to(torch::kFloat64).abs().clamp_min(1e-30)).max().item<double>();
  };
  const double scale_err = rel(host_vector(q.part<float>("scale")), get(f, prefix + ".scale").flatten());
  const auto ref_zero = get(f, prefix + ".zero").flatten();
  const double zero_err = (host_vector(q.part<float>("zero")).to(torch::kFloat64) - ref_zero.to(torch::kFloat64)).abs().max().item<double>() /
                          std::max(1.0, ref_zero.abs().max().item<double>());
  const double ref_mse = get(f, prefix + ".mse")[0].item<double>();
  const double mse_err = ref_mse > 0 ? std::abs(mse - ref_mse) / ref_mse : std::abs(mse);
  qInfo("%s: codes identical %.4f%%, scale max rel err %.3g, zero max rel err %.3g, MSE %.6g vs %.6g (rel %.3g)", what,
        100 * same, scale_err, zero_err, mse, ref_mse, mse_err);
  return same >= kMinSameCodes && scale_err <= kMaxParamRelError && zero_err <= kMaxParamRelError && mse_err <= kMaxErrorRelDiff;
}

// tr((W - Q) H (W - Q)^T): the layer-output error GPTQ minimises, float64.
double proxy_loss(const torch::Tensor& w, const irq::QuantizedTensor& q, const torch::Tensor& H) {
  const auto& f = irq::require_quant_format(q.settings.method);
  auto dq = torch::empty({q.rows(), q.cols()}, torch::kFloat32);
  f.dequantize(q, dq.data_ptr<float>());
  auto d = w.to(torch::kFloat64) - dq.to(torch::kFloat64);
  return (d.matmul(H.to(torch::kFloat64)) * d).sum().item<double>();
}

}  // namespace

class TestGptq : public QObject {
  Q_OBJECT

 private Q_SLOTS:

  void solver_matches_reference_data() {
    QTest::addColumn<int>("config");
    QTest::addColumn<QString>("proj");
    for (int c = 0; c < 3; ++c)
      for (const char* p : {"q_proj", "down_proj"}) QTest::newRow(qPrintable(QString("%1 %2").arg(kConfigs[c].name, p))) << c << p;
  }
  void solver_matches_reference() {
    QFETCH(int, config);
    QFETCH(QString, proj);
    const auto f = irq::SafetensorsFile::open(irq::test::fixtures() / "gptq" / "solver.safetensors");
    const Config& c = kConfigs[config];
    const auto w = get(f, proj.toStdString() + ".weight"), H = get(f, proj.toStdString() + ".hessian");
    const auto r = irq::gptq_quantize_weight(w, H, settings_of(c), proj.toStdString());
    const std::string prefix = std::string(c.name) + "." + proj.toStdString();
    QVERIFY(matches(qPrintable(QString::fromStdString(prefix)), r.quantized, mse_of(r.quantized, w), f, prefix));
    const double ref_loss = get(f, prefix + ".loss")[0].item<double>();
    qInfo("GPTQ loss %.9g vs reference %.9g", r.loss, ref_loss);
    QVERIFY(std::abs(r.loss - ref_loss) <= kMaxErrorRelDiff * ref_loss);
  }

  // GPTQ must beat round-to-nearest with the same find_params on the error it minimises.
  void gptq_beats_round_to_nearest() {
    const auto f = irq::SafetensorsFile::open(irq::test::fixtures() / "gptq" / "solver.safetensors");
    for (const char* proj : {"q_proj", "down_proj"}) {
      const auto w = get(f, std::string(proj) + ".weight"), H = get(f, std::string(proj) + ".hessian");
      auto s = settings_of(kConfigs[0]);
      const auto gptq = irq::gptq_quantize_weight(w, H, s, proj);
      // Round to nearest: the same parameters per (row, group) on the original columns.
      const int64_t G = 32, C = w.size(1), ngroups = (C + G - 1) / G;
      irq::QuantizedTensor rtn = gptq.quantized;
      std::vector<uint8_t> codes(static_cast<size_t>(w.numel()));
      irq::ParamsOptions po;
      po.bits = s.bits;
      po.icq = true;
      for (int64_t g = 0; g < ngroups; ++g) {
        const auto x = w.slice(1, g * G, (g + 1) * G);
        const auto p = irq::find_params(x, po);
        const auto q = irq::quantize_codes(x, p.scale, p.zero, 7).to(torch::kUInt8).contiguous();
        for (int64_t r = 0; r < w.size(0); ++r) {
          rtn.part<float>("scale")[static_cast<size_t>(r * ngroups + g)] = p.scale[r].item<float>();
          rtn.part<float>("zero")[static_cast<size_t>(r * ngroups + g)] = p.zero[r].item<float>();
          for (int64_t j = 0; j < x.size(1); ++j) codes[static_cast<size_t>(r * C + g * G + j)] = q[r][j].item<uint8_t>();
        }
      }
      rtn.codes() = irq::pack_codes(codes.data(), w.numel(), s.bits);
      const double e_gptq = proxy_loss(w, gptq.quantized, H), e_rtn = proxy_loss(w, rtn, H);
      qInfo("%s: tr(dW H dW^T) GPTQ %.6g, round-to-nearest %.6g (%.1f%% lower)", proj, e_gptq, e_rtn, 100 * (1 - e_gptq / e_rtn));
      QVERIFY(e_gptq < 0.9 * e_rtn);
    }
  }

  void dead_inputs_give_zero_columns() {
    const auto f = irq::SafetensorsFile::open(irq::test::fixtures() / "gptq" / "solver.safetensors");
    const auto w = get(f, "q_proj.weight");
    auto H = get(f, "q_proj.hessian");
    H.select(0, 5).zero_();
    H.select(1, 5).zero_();
    const auto r = irq::gptq_quantize_weight(w, H, settings_of(kConfigs[0]), "dead");
    const auto& fmt = irq::require_quant_format("int3");
    auto dq = torch::empty_like(w);
    fmt.dequantize(r.quantized, dq.data_ptr<float>());
    QCOMPARE(dq.select(1, 5).abs().max().item<float>(), 0.0f);
    QVERIFY(dq.select(1, 4).abs().max().item<float>() > 0.0f);
  }

  void calibration_stream_is_documented_splitmix64() {
    // splitmix64 from state 0: first outputs 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (the published sequence).
    const auto starts = irq::calibration_starts(/*seed=*/0, /*count=*/2, /*tokens=*/1000000 + 99, /*seqlen=*/100);
    QCOMPARE(starts[0], static_cast<int64_t>(0xE220A8397B1DCDAFull % 1000000ull));
    QCOMPARE(starts[1], static_cast<int64_t>(0x6E789E6AA1B965F4ull % 1000000ull));
  }

  void calibration_errors_name_the_file() {
    QTemporaryDir tmp;
    const std::filesystem::path dir = tmp.path().toStdString();
    const auto tok = irq::open_tokenizer(irq::test::fixtures() / "tiny_llama");
    irq::test::write_file(dir / "short.txt", "the robot");
    QVERIFY(irq::test::throws_error([&] { irq::calibration_tokens(*tok, dir / "short.txt", 4, 64, 0); }, ErrorKind::kInvalidInput,
                                    {"short.txt", "fewer than one segment of 64"}));
    QVERIFY(irq::test::throws_error([&] { irq::calibration_tokens(*tok, dir / "missing.txt", 4, 64, 0); }, ErrorKind::kNotFound,
                                    {"missing.txt"}));
    const auto ids = irq::calibration_tokens(*tok, irq::test::fixtures() / "tokenizers" / "sample_text.txt", 3, 8, 11);
    QCOMPARE(static_cast<int64_t>(ids.size()), int64_t{24});
  }

  void settings_validate_and_round_trip() {
    auto s = settings_of(kConfigs[1]);
    s.gptq.calib = "/data/calib.txt";
    s.gptq.nsamples = 64;
    s.gptq.seed = 3;
    const auto back = irq::QuantSettings::from_json(s.to_json(), "test");
    QVERIFY(back.gptq.enabled && back.gptq.sym && back.gptq.act_order);
    QCOMPARE(back.gptq.calib, std::string("/data/calib.txt"));
    QCOMPARE(back.gptq.nsamples, int64_t{64});
    QCOMPARE(back.gptq.seed, uint64_t{3});
    QCOMPARE(QString::fromStdString(back.short_name()), QString("GPTQ-INT4"));
    auto nf4 = irq::QuantSettings::for_method("nf4");
    nf4.gptq.enabled = true;
    nf4.gptq.calib = "x";
    QVERIFY(irq::test::throws_error([&] { nf4.validate(); }, ErrorKind::kUsage, {"GPTQ quantizes to INT-k"}));
    auto nocalib = settings_of(kConfigs[0]);
    nocalib.gptq.calib.clear();
    QVERIFY(irq::test::throws_error([&] { nocalib.validate(); }, ErrorKind::kUsage, {"--calib"}));
    auto sym_rtn = irq::QuantSettings::for_method("int4");
    sym_rtn.gptq.sym = true;
    QVERIFY(irq::test::throws_error([&] { sym_rtn.validate(); }, ErrorKind::kUsage, {"add --gptq"}));
    auto channel = irq::QuantSettings::for_method("int4");
    channel.block_size = 0;
    channel.validate();  // per channel: INT only
    QCOMPARE(channel.group_columns(172), int64_t{172});
  }

  // The whole stories260K pass from the TinyStories text (integration).
  void model_matches_reference_data() {
    QTest::addColumn<int>("config");
    for (int c = 0; c < 3; ++c) QTest::newRow(kConfigs[c].name) << c;
  }
  void model_matches_reference() {
    QFETCH(int, config);
    const auto shared = irq::test::shared_data();
    if (shared.empty()) QSKIP("../shared/data is absent: the stories260K GPTQ pass is an integration test");
    const auto model = shared / "models" / "stories260K-hf";
    const auto text = shared / "tinystories" / "tinystories_validation_head.txt";
    const auto f = irq::SafetensorsFile::open(irq::test::fixtures() / "gptq" / "stories260k.safetensors");
    const auto ids = get(f, "calib.ids");
    // The calibration segments: tokenizer and sampler against the reference's.
    const auto tok = irq::open_tokenizer(model);
    const auto ours = irq::calibration_tokens(*tok, text, ids.size(0), ids.size(1), 7);
    QVERIFY(torch::from_blob(const_cast<int64_t*>(ours.data()), ids.sizes(), torch::kInt64).equal(ids));

    const Config& c = kConfigs[config];
    irq::ModelQuantOptions o;
    o.settings = settings_of(c);
    o.settings.gptq.calib = text.string();
    o.settings.gptq.nsamples = ids.size(0);
    o.settings.gptq.seqlen = ids.size(1);
    o.settings.gptq.seed = 7;
    const auto weights = irq::CheckpointWeights::open(model);
    int tensors = 0, good = 0;
    irq::quantize_checkpoint(model, o, [&](const std::string& name, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) {
      const auto e = weights.find(name);
      const auto w = irq::tensor_view(*e.file, *e.info).to(torch::kFloat32);
      ++tensors;
      if (matches(name.c_str(), q, mse_of(q, w), f, std::string(c.name) + "." + name)) ++good;
    });
    QCOMPARE(tensors, 35);
    QCOMPARE(good, tensors);
  }
};

IRQ_TEST_CASE(TestGptq, "test_gptq")
#include "test_gptq.moc"
