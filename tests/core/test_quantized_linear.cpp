// The CPU quantized matmuls (quant/quantized_linear.h) against their slow
// references: each format's dequantize_rows against the torch-op
// dequantization bit for bit (rows that start inside a block or mid-byte,
// short last INT groups, INT4's AVX-512 rows); y = x W^T on the decode path (M <= 8: NF4's fused
// product from the codes, its fallback, INT4's fused product, INT3's
// dequantized rows) and the
// tiled path (several tiles), and the input gradient of the tiled backward,
// against a float64 dequantize + matmul.
#include "support/test_support.h"

#include "quant/quant_format.h"
#include "quant/quant_view.h"
#include "quant/quantized_linear.h"

namespace {

// |fast - reference| relative to (|x| |W|^T) elementwise: float32 products
// summed in another order (K <= 512 terms; measured <= 1.4e-7) stay inside this.
constexpr double kMaxMatmulRelError = 1e-6;

struct Case {
  const char* method;
  bool icq;
  int64_t block, rows, cols;
};

irq::QuantizedWeight quantize_case(const Case& c, uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  const auto w = (torch::randn({c.rows, c.cols}) * 0.02).contiguous();
  irq::QuantJob job;
  job.weight = w.data_ptr<float>();
  job.shape = {c.rows, c.cols};
  job.name = std::string(c.method) + "_test";
  job.settings = irq::QuantSettings::for_method(c.method);
  job.settings.icq = c.icq;
  job.settings.block_size = c.block;
  irq::QuantizedTensor q;
  irq::LayerQuantStats stats;
  irq::require_quant_format(c.method).quantize(job, &q, &stats);
  return irq::QuantizedWeight::from_host(q, torch::kCPU);
}

// max over elements of |a - b| / bound.
double relative_error(const torch::Tensor& fast, const torch::Tensor& reference, const torch::Tensor& bound) {
  return ((fast.to(torch::kFloat64) - reference).abs() / (bound + 1e-30)).max().item<double>();
}

}  // namespace

class TestQuantizedLinear : public QObject {
  Q_OBJECT

 private Q_SLOTS:

  void dequantize_rows_equal_the_reference() {
    const Case cases[] = {{"nf4", true, 64, 48, 192},  {"nf4", false, 64, 48, 192}, {"nf4", true, 64, 13, 40},
                          {"nf4", true, 64, 7, 37},    {"nf4", true, 32, 9, 96},    {"int2", true, 32, 24, 96},
                          {"int3", true, 32, 24, 100}, {"int4", false, 64, 10, 130}, {"int8", true, 32, 6, 64},
                          {"int4", true, 32, 24, 128}, {"int4", true, 128, 6, 256},   {"int4", true, 128, 5, 192}};
    for (const auto& c : cases) {
      const auto w = quantize_case(c, 1);
      const auto reference = w.dequantize(torch::kFloat32).view({c.rows, c.cols});
      const auto t = irq::quant_view(w);
      const auto& f = irq::require_quant_format(c.method);
      QVERIFY(f.dequantize_rows != nullptr);
      for (auto [row0, count] : {std::pair<int64_t, int64_t>{0, c.rows}, {1, c.rows - 2}, {c.rows - 1, 1}}) {
        auto out = torch::full({count, c.cols}, NAN);
        f.dequantize_rows(t, row0, count, out.data_ptr<float>());
        if (!torch::equal(out, reference.narrow(0, row0, count))) {
          qWarning("%s icq %d block %lld [%lld x %lld] rows %lld+%lld: max |diff| %g", c.method, c.icq, (long long)c.block,
                   (long long)c.rows, (long long)c.cols, (long long)row0, (long long)count,
                   (out - reference.narrow(0, row0, count)).abs().max().item<double>());
          QFAIL("dequantize_rows differs from dequantize");
        }
      }
    }
  }

  void products_match_float64_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("M");
    for (const char* m : {"nf4", "int4", "int3"})
      for (int M : {1, 3, 8, 9, 40}) QTest::newRow((std::string(m) + " M=" + std::to_string(M)).c_str()) << QString(m) << M;
  }
  void products_match_float64() {
    QFETCH(QString, method);
    QFETCH(int, M);
    const Case c{nullptr, true, method == "nf4" ? 64 : 32, 300, 512};
    Case cm = c;
    const std::string name = method.toStdString();
    cm.method = name.c_str();
    const auto w = quantize_case(cm, 2);
    const auto W = w.dequantize(torch::kFloat32).view({c.rows, c.cols}).to(torch::kFloat64);
    torch::manual_seed(3);
    const auto x = torch::randn({M, c.cols});
    const auto bias = torch::randn({c.rows});
    const int64_t tile = 40 * c.cols;  // 8 tiles, the last one short
    const auto y = irq::quantized_linear(x, w, bias, tile);
    const auto reference = torch::matmul(x.to(torch::kFloat64), W.t()) + bias.to(torch::kFloat64);
    const auto bound = torch::matmul(x.to(torch::kFloat64).abs(), W.abs().t()) + bias.to(torch::kFloat64).abs();
    const double err = relative_error(y, reference, bound);
    qInfo("%s M=%d (%s path): max relative error %.3g", name.c_str(), M, M <= irq::kGemvRows ? "row" : "tiled", err);
    QVERIFY(err <= kMaxMatmulRelError);
    QVERIFY(irq::quantized_linear_fast_path(x, w));
  }

  // Rows that do not hold whole blocks (cols % block != 0): the decode path
  // falls back from the fused product to dequantized rows.
  void decode_with_blocks_across_rows() {
    const Case c{"nf4", true, 64, 50, 100};
    const auto w = quantize_case(c, 6);
    const auto W = w.dequantize(torch::kFloat32).view({c.rows, c.cols}).to(torch::kFloat64);
    torch::manual_seed(7);
    const auto x = torch::randn({2, c.cols});
    const auto y = irq::quantized_linear(x, w, torch::Tensor());
    const auto x64 = x.to(torch::kFloat64);
    const double err = relative_error(y, torch::matmul(x64, W.t()), torch::matmul(x64.abs(), W.abs().t()));
    qInfo("nf4 [50 x 100], M=2: max relative error %.3g", err);
    QVERIFY(err <= kMaxMatmulRelError);
  }

  void batched_input_and_gradient() {
    const Case c{"nf4", true, 64, 200, 256};
    const auto w = quantize_case(c, 4);
    const auto W = w.dequantize(torch::kFloat32).view({c.rows, c.cols}).to(torch::kFloat64);
    torch::manual_seed(5);
    auto x = torch::randn({2, 7, c.cols}).set_requires_grad(true);
    const auto g = torch::randn({2, 7, c.rows});
    const auto y = irq::quantized_linear(x, w, torch::Tensor(), /*tile_values=*/30 * c.cols);
    QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 7, c.rows}));
    (y * g).sum().backward();
    const auto x64 = x.detach().to(torch::kFloat64).view({-1, c.cols});
    const auto g64 = g.to(torch::kFloat64).view({-1, c.rows});
    const double y_err = relative_error(y.detach().view({-1, c.rows}), torch::matmul(x64, W.t()), torch::matmul(x64.abs(), W.abs().t()));
    const double dx_err = relative_error(x.grad().view({-1, c.cols}), torch::matmul(g64, W), torch::matmul(g64.abs(), W.abs()));
    qInfo("(2, 7, %lld) input: forward %.3g, input gradient %.3g max relative error", (long long)c.cols, y_err, dx_err);
    QVERIFY(y_err <= kMaxMatmulRelError);
    QVERIFY(dx_err <= kMaxMatmulRelError);
  }
};

IRQ_TEST_CASE(TestQuantizedLinear, "test_quantized_linear")
#include "test_quantized_linear.moc"
