// A quantization format core has never heard of, registered by this test
// alone ("row8": 8-bit symmetric codes per row around the weight's mean),
// with a payload unlike NF4's and INT's: codes (u8, one per weight),
// row_scale (f32, one per row) and mean (a host scalar). It goes through
// every core path a payload takes: the checkpoint (its stored parts written
// and read by name), the model loader, a held weight (parts as tensors, the
// scalar on the host), the quantized matmul's rows (DeviceQuantTensor by
// name), the payload hash and the stored-bytes count. So a new format is
// its plugin's code and a registration; nothing in core changes.
#include "support/test_support.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "io/safetensors.h"
#include "model/model_loader.h"
#include "quant/model_quantizer.h"
#include "quant/quant_checkpoint.h"
#include "quant/quant_format.h"
#include "quant/quantized_linear.h"
#include "quant/quantized_weight.h"

namespace fs = std::filesystem;

namespace {

// 8-bit per-row codes of the tiny model move its logits by at most this relative RMS.
constexpr double kMaxRow8RelativeLogitRms = 0.05;

std::vector<irq::PayloadPart> row8_parts(const std::vector<int64_t>& shape, const irq::QuantSettings&) {
  const int64_t rows = shape.size() >= 2 ? shape[0] : 1, numel = shape.size() >= 2 ? shape[0] * shape[1] : shape[0];
  return {{"codes", irq::DType::kU8, {numel}}, {"row_scale", irq::DType::kF32, {rows}}, {"mean", irq::DType::kF32, {1}, true}};
}

// w ~ (code - 128) * row_scale[r] + mean, in float32, that order.
void row8_quantize(const irq::QuantJob& job, irq::QuantizedTensor* out, irq::LayerQuantStats* stats) {
  out->settings = job.settings;
  out->shape = job.shape;
  out->parts.clear();
  const irq::QuantGeometry g = irq::geometry_of(*out);
  double sum = 0;
  for (int64_t k = 0; k < g.numel; ++k) sum += job.weight[k];
  const float mean = static_cast<float>(sum / static_cast<double>(g.numel));
  auto& codes = out->part<uint8_t>("codes");
  codes.resize(static_cast<size_t>(g.numel));
  auto& scale = out->part<float>("row_scale");
  scale.resize(static_cast<size_t>(g.rows));
  out->part<float>("mean") = {mean};
  double sw = 0, se = 0;
  for (int64_t r = 0; r < g.rows; ++r) {
    float peak = 0;
    for (int64_t c = 0; c < g.cols; ++c) peak = std::max(peak, std::abs(job.weight[r * g.cols + c] - mean));
    const float s = peak > 0 ? peak / 127.0f : 1.0f;
    scale[static_cast<size_t>(r)] = s;
    for (int64_t c = 0; c < g.cols; ++c) {
      const float w = job.weight[r * g.cols + c];
      const float q = std::clamp(std::nearbyint((w - mean) / s), -127.0f, 127.0f);
      codes[static_cast<size_t>(r * g.cols + c)] = static_cast<uint8_t>(q + 128.0f);
      const double e = static_cast<double>(w) - static_cast<double>(q * s + mean);
      sw += static_cast<double>(w) * w;
      se += e * e;
    }
  }
  stats->name = job.name;
  stats->shape = job.shape;
  stats->numel = g.numel;
  stats->blocks = g.rows;
  stats->levels = 256;
  stats->finish(sw, se, out->storage_bytes());
}

void row8_rows(const irq::DeviceQuantTensor& t, int64_t row0, int64_t count, float* out) {
  const uint8_t* codes = t.get<uint8_t>("codes");
  const float* scale = t.get<float>("row_scale");
  const float mean = t.scalar("mean");
  for (int64_t r = row0; r < row0 + count; ++r)
    for (int64_t c = 0; c < t.cols; ++c)
      *out++ = (static_cast<float>(codes[r * t.cols + c]) - 128.0f) * scale[r] + mean;
}

void register_row8() {
  if (irq::find_quant_format("row8")) return;
  irq::QuantFormat f;
  f.name = "row8";
  f.description = "test-only: 8-bit symmetric codes per row around the mean";
  f.bits = {8};
  f.default_n = 1;
  f.stored_parts = row8_parts;
  f.quantize = row8_quantize;
  f.quantize_ref = row8_quantize;
  f.dequantize = [](const irq::QuantizedTensor& q, float* out) {
    const irq::DeviceQuantTensor t = irq::host_view(q);
    row8_rows(t, 0, t.rows, out);
  };
  f.dequantize_rows = row8_rows;
  f.dequantize_weight = [](const irq::QuantizedWeight& w, c10::ScalarType dtype) {
    const int64_t rows = w.part("row_scale").numel();
    auto codes = w.codes().to(torch::kFloat32).view({rows, -1});
    return ((codes - 128.0f) * w.part("row_scale").unsqueeze(1) + w.scalar("mean")).view(w.shape).to(dtype);
  };
  f.payload_hash = [](const irq::QuantizedTensor& q) {
    irq::PayloadHasher h;
    h.mix(q.shape);
    for (const char* part : {"codes", "row_scale", "mean"}) {
      const auto [data, bytes] = q.part_bytes(part);
      h.mix(data, bytes);
    }
    return h.value();
  };
  irq::register_quant_format(std::move(f));
}

irq::ModelQuantOptions row8_options() {
  irq::ModelQuantOptions o;
  o.settings = irq::QuantSettings::for_method("row8");
  o.settings.icq = false;
  return o;
}

}  // namespace

class TestFormatPlugin : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }
  fs::path tiny() { return irq::test::fixtures() / "tiny_llama"; }

 private Q_SLOTS:
  void initTestCase() { register_row8(); }

  // Bits/weight from the format's own stored parts: 8 + 32/cols + 32/numel.
  void stored_bytes_are_the_formats_parts() {
    std::vector<float> w(64 * 96);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 37) - 18) / 256.0f;
    irq::QuantJob job;
    job.weight = w.data();
    job.shape = {64, 96};
    job.name = "w";
    job.settings = row8_options().settings;
    irq::QuantizedTensor q;
    irq::LayerQuantStats st;
    irq::require_quant_format("row8").quantize(job, &q, &st);
    QCOMPARE(q.storage_bytes(), uint64_t(64 * 96 + 4 * 64 + 4));
    QCOMPARE(st.bits_per_weight, 8.0 * (64 * 96 + 4 * 64 + 4) / (64 * 96));
    const auto held = irq::QuantizedWeight::from_host(q, torch::kCPU);
    QCOMPARE(held.parts.size(), size_t(2));  // codes, row_scale on the device
    QCOMPARE(held.scalars.size(), size_t(1));  // mean on the host
    QCOMPARE(held.scalar("mean"), q.part<float>("mean")[0]);
    QCOMPARE(irq::payload_hash(held.to_host()), irq::payload_hash(q));
  }

  void payload_goes_through_checkpoint_loader_and_matmul() {
    const fs::path out = tmp() / "tiny-row8";
    std::map<std::string, irq::QuantizedTensor> quantized;
    irq::quantize_checkpoint(tiny(), row8_options(), [&](const std::string& n, irq::QuantizedTensor&& q, const irq::LayerQuantStats&) {
      quantized.emplace(n, std::move(q));
    });
    QCOMPARE(quantized.size(), size_t(14));
    irq::write_quant_checkpoint(tiny(), out, quantized, /*overwrite=*/false);

    // Stored as NAME.<part>, with the shapes the format declares.
    const std::string name = "model.layers.0.self_attn.q_proj.weight";
    const auto file = irq::SafetensorsFile::open(out / "model.safetensors");
    const auto* scale = file.find(name + ".row_scale");
    QVERIFY(scale && file.find(name + ".codes") && file.find(name + ".mean"));
    QCOMPARE(scale->shape, std::vector<int64_t>{quantized.at(name).shape[0]});

    // Read back: every part, bit for bit.
    const auto read = irq::read_quantized_tensors(out, irq::CheckpointWeights::open(out));
    QCOMPARE(read.size(), quantized.size());
    for (const auto& [n, q] : quantized) {
      QVERIFY2(read.at(n).parts == q.parts, n.c_str());
      QCOMPARE(irq::payload_hash(read.at(n)), irq::payload_hash(q));
    }

    // Loaded as a model: the held weights are row8's, every stored tensor is accounted for.
    auto loaded = irq::load_model(out);
    QVERIFY(loaded.ignored_tensors.empty());
    const auto* l = loaded.model->model->layers->at<irq::LlamaDecoderLayerImpl>(0).self_attn->q_proj.get();
    const irq::QuantizedWeight* held = irq::quantized_weight(*l);
    QVERIFY(held && held->settings.method == "row8");
    const auto& q = quantized.at(name);
    auto host = torch::empty(q.shape);
    irq::require_quant_format("row8").dequantize(q, host.data_ptr<float>());
    QVERIFY(held->dequantize().equal(host));

    // The quantized matmul reads the parts through DeviceQuantTensor (rows, tiles).
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({3, q.shape[1]});
    irq::test::max_abs_diff(irq::quantized_linear(x, *held, {}), x.matmul(host.t()), "row8 matmul vs dequant");
    QVERIFY(torch::allclose(irq::quantized_linear(x, *held, {}), x.matmul(host.t()), 1e-5, 1e-6));

    // And the model runs on it, close to full precision.
    auto fp = irq::load_model(tiny());
    const auto ids = torch::tensor({1, 17, 300, 42, 99}).view({1, -1});
    const auto a = loaded.model->forward(ids), c = fp.model->forward(ids);
    const double rel = ((a - c).pow(2).mean().sqrt() / c.pow(2).mean().sqrt()).item<double>();
    qInfo("relative RMS logit change of the row8 base: %.5f", rel);
    QVERIFY(rel > 0 && rel < kMaxRow8RelativeLogitRms);
  }
};

IRQ_TEST_CASE(TestFormatPlugin, "test_format_plugin")
#include "test_format_plugin.moc"
