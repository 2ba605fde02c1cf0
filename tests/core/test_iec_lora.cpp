// IEC-LoRA: the forward against the oracle (icq_oracle.py iec_lora_forward,
// float64 golden data), folding into plain LoRA against iec_as_plain_lora,
// gradients against central finite differences, peft-style initialisation
// and names, the rank check, and LoRA over a frozen quantized base.
#include "support/test_support.h"

#include "io/safetensors.h"
#include "io/tensor_view.h"
#include "lora/iec_lora.h"
#include "lora/lora_adapter.h"
#include "lora/lora_delta.h"
#include "model/layers.h"
#include "quant/quant_format.h"
#include "quant/quantized_weight.h"

using irq::ErrorKind;

namespace {
constexpr double kMaxOracleError = 1e-12;  // float64 against float64
constexpr double kMaxGradRelError = 1e-7;  // autograd vs central differences, float64
constexpr double kFiniteDiffStep = 1e-6;

struct IecGolden {
  irq::SafetensorsFile f;
  torch::Tensor get(const char* n) const { return irq::tensor_view(f, *f.find(n)).clone(); }
};
IecGolden iec_golden() { return {irq::SafetensorsFile::open(irq::test::fixtures() / "iec_golden.safetensors")}; }
}  // namespace

class TestIecLora : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void forward_matches_oracle() {
    const auto g = iec_golden();
    const auto y = irq::iec_lora_delta(g.get("x"), g.get("A"), g.get("B"), g.get("beta_a")[0], g.get("beta_b")[0],
                                       g.get("scaling")[0].item<double>());
    QVERIFY(irq::test::max_abs_diff(y, g.get("y"), "IEC-LoRA vs oracle") < kMaxOracleError);
  }

  void folds_into_plain_lora() {
    const auto g = iec_golden();
    const auto [A2, B2] = irq::fold_iec(g.get("A"), g.get("B"), g.get("beta_a")[0], g.get("beta_b")[0]);
    QVERIFY(irq::test::max_abs_diff(A2, g.get("A2"), "folded A") < kMaxOracleError);
    QVERIFY(irq::test::max_abs_diff(B2, g.get("B2"), "folded B") < kMaxOracleError);
    const auto plain = irq::iec_lora_delta(g.get("x"), A2, B2, {}, {}, g.get("scaling")[0].item<double>());
    QVERIFY(irq::test::max_abs_diff(plain, g.get("y"), "folded plain LoRA vs IEC") < 1e-10);
  }

  void folded_path_equals_the_formula() {
    const auto g = iec_golden();
    const auto A = g.get("A"), B = g.get("B");
    const auto G = irq::iec_group_mean_matrix(8, 64, A.options()), R = irq::iec_repeat_matrix(8, 32, A.options());
    const auto y = irq::iec_lora_delta_folded(g.get("x"), A, B, g.get("beta_a")[0], g.get("beta_b")[0], G, R,
                                              g.get("scaling")[0].item<double>());
    QVERIFY(irq::test::max_abs_diff(y, g.get("y"), "folded IEC-LoRA vs oracle") < 1e-12);
  }

  void gradients_match_finite_differences() {
    const auto g = iec_golden();
    auto x = g.get("x");
    std::vector<torch::Tensor> params = {g.get("A"), g.get("B"), g.get("beta_a")[0].clone(), g.get("beta_b")[0].clone()};
    for (auto& p : params) p.set_requires_grad(true);
    const double scaling = g.get("scaling")[0].item<double>();
    const auto w = torch::randn({3, 5, 32}, torch::kFloat64);  // a fixed random cotangent
    const auto G = irq::iec_group_mean_matrix(8, 64, x.options()), R = irq::iec_repeat_matrix(8, 32, x.options());
    auto loss_of = [&](const std::vector<torch::Tensor>& p) {  // the folded path the layers train through
      return (irq::iec_lora_delta_folded(x, p[0], p[1], p[2], p[3], G, R, scaling) * w).sum();
    };
    const auto grads = torch::autograd::grad({loss_of(params)}, params);
    torch::NoGradGuard no_grad;
    for (size_t k = 0; k < params.size(); ++k) {
      auto flat = params[k].detach().reshape({-1});
      const int64_t probes = std::min<int64_t>(flat.numel(), 12);
      double worst = 0;
      for (int64_t i = 0; i < probes; ++i) {
        const int64_t at = (i * 7919) % flat.numel();
        auto probe = [&](double d) {
          auto q = params;
          for (auto& t : q) t = t.detach().clone();
          q[k].view({-1})[at] += d;
          return loss_of(q).item<double>();
        };
        const double fd = (probe(kFiniteDiffStep) - probe(-kFiniteDiffStep)) / (2 * kFiniteDiffStep);
        const double ad = grads[k].reshape({-1})[at].item<double>();
        worst = std::max(worst, std::fabs(fd - ad) / std::max(1.0, std::fabs(ad)));
      }
      qInfo("parameter %zu: max relative |autograd - finite difference| %.3g", k, worst);
      QVERIFY(worst < kMaxGradRelError);
    }
  }

  // The layers' single autograd node (hand-written backward) against the
  // folded path built from autograd ops: values and every gradient, IEC on
  // and off, float64.
  void fused_node_equals_the_folded_path() {
    const auto g = iec_golden();
    const double scaling = g.get("scaling")[0].item<double>();
    const auto G = irq::iec_group_mean_matrix(8, 64, torch::kFloat64), R = irq::iec_repeat_matrix(8, 32, torch::kFloat64);
    const auto w = torch::randn({3, 5, 32}, torch::kFloat64);
    for (const bool iec : {true, false}) {
      auto run = [&](bool fused) {
        std::vector<torch::Tensor> p = {g.get("x"), g.get("A"), g.get("B"), g.get("beta_a")[0].clone(), g.get("beta_b")[0].clone()};
        for (auto& t : p) t.set_requires_grad(true);
        const torch::Tensor ba = iec ? p[3] : torch::Tensor(), bb = iec ? p[4] : torch::Tensor();
        const torch::Tensor gm = iec ? G : torch::Tensor(), rp = iec ? R : torch::Tensor();
        const auto y = fused ? irq::lora_delta(p[0], p[1], p[2], ba, bb, gm, rp, scaling)
                             : irq::iec_lora_delta_folded(p[0], p[1], p[2], ba, bb, gm, rp, scaling);
        (y * w).sum().backward();
        std::vector<torch::Tensor> out = {y.detach(), p[0].grad(), p[1].grad(), p[2].grad()};
        if (iec) out.insert(out.end(), {p[3].grad().reshape({1}), p[4].grad().reshape({1})});
        return out;
      };
      const auto a = run(true), b = run(false);
      const char* names[] = {"y", "grad x", "grad A", "grad B", "grad beta_a", "grad beta_b"};
      for (size_t k = 0; k < a.size(); ++k) {
        const std::string what = std::string(iec ? "IEC " : "LoRA ") + names[k];
        QVERIFY(irq::test::max_abs_diff(a[k], b[k], what.c_str()) < kMaxOracleError);
      }
    }
  }

  void linear_adapter_like_peft() {
    irq::Linear lin(64, 32, /*bias=*/false, torch::TensorOptions().dtype(torch::kFloat32));
    torch::NoGradGuard no_grad;
    lin->weight.normal_();
    auto x = torch::randn({4, 64});
    const auto before = lin->forward(x);
    const auto& lora = irq::enable_lora(*lin, /*rank=*/8, /*alpha=*/16, /*iec=*/true, torch::TensorOptions().dtype(torch::kFloat32), /*seed=*/1);
    QVERIFY(lin->forward(x).equal(before));  // B = 0, betas = 0: no change at init
    QCOMPARE(lora.scaling, 2.0);
    QVERIFY(lora.lora_A->weight.abs().max().item<double>() <= 1.0 / std::sqrt(64.0));
    QVERIFY(lora.lora_B->weight.abs().max().item<double>() == 0.0);
    std::set<std::string> names;
    for (const auto& p : lin->named_parameters()) names.insert(p.key());
    QVERIFY(names.count("lora_A.weight") && names.count("lora_B.weight") && names.count("iec_beta_a") && names.count("iec_beta_b"));
    irq::Linear odd(60, 32, false, torch::TensorOptions());
    QVERIFY(irq::test::throws_error([&] { irq::enable_lora(*odd, 8, 16, true, torch::TensorOptions(), 1); }, ErrorKind::kUsage,
                                    {"rank 8 does not divide d_in = 60", "turn IEC off"}));
    irq::enable_lora(*odd, 8, 16, /*iec=*/false, torch::TensorOptions(), 1);  // plain LoRA has no such constraint
    QVERIFY(irq::lora_of(*odd) != nullptr);
    QVERIFY(irq::test::throws_error([&] { irq::enable_lora(*odd, 8, 16, false, torch::TensorOptions(), 2); }, ErrorKind::kUsage,
                                    {"already has an adapter"}));
  }

  void trains_over_a_frozen_quantized_base() {
    irq::Linear lin(128, 64, false, torch::TensorOptions());
    {
      torch::NoGradGuard no_grad;
      lin->weight.normal_(0, 0.02);
    }
    auto w = lin->weight.detach().clone();
    irq::QuantJob job;
    job.weight = w.data_ptr<float>();
    job.shape = {64, 128};
    job.name = "w";
    job.settings = irq::QuantSettings::for_method("nf4");
    irq::QuantizedTensor q;
    irq::LayerQuantStats st;
    irq::require_quant_format("nf4").quantize(job, &q, &st);
    irq::set_quantized(*lin, irq::QuantizedWeight::from_host(q, torch::kCPU));
    auto& lora = irq::enable_lora(*lin, 16, 32, true, torch::TensorOptions(), 3);
    auto x = torch::randn({8, 128});
    {
      torch::NoGradGuard no_grad;  // make the IEC path matter
      lora.iec_beta_a.fill_(0.5);
      lora.lora_B->weight.normal_(0, 0.1);
    }
    lin->forward(x).pow(2).sum().backward();
    QVERIFY(lora.lora_A->weight.grad().defined() && lora.lora_A->weight.grad().abs().sum().item<double>() > 0);
    QVERIFY(lora.iec_beta_a.grad().defined() && lora.iec_beta_b.grad().defined());
    QVERIFY(!lin->weight.requires_grad());
  }
};

IRQ_TEST_CASE(TestIecLora, "test_iec_lora")
#include "test_iec_lora.moc"
