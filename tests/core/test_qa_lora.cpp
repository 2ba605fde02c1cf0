// QA-LoRA with IEC (LinearImpl's qa_group; the authors' "integer
// quantizer/peft_utils_iec.py" GPTQLoraLinear.forward is the reference,
// rewritten here in its own ops: AvgPool1d(G)(x) * G into lora_A, IEC's
// group mean of x into rank r, lora_B's output plus beta_b times the rank-r
// code repeated), and its exact merge into an INT base's zero points
// (export --format irq --merge-adapter): the merged INT model's logits equal
// base + adapter, its codes and scales are the base's, and its Q4_1 GGUF
// carries those codes unchanged.
#include "support/test_support.h"

#include <fstream>

#include <ATen/CPUGeneratorImpl.h>

#include "export/gguf.h"
#include "export/gguf_format.h"
#include "export/zero_point_merge.h"
#include "jobs/export_job.h"
#include "lora/lora_adapter.h"
#include "model/layers.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"
#include "train/trainer.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

constexpr double kMaxForwardError = 1e-5;   // engine vs reference formula, float32, relative to the output's peak
constexpr double kMaxGradError = 1e-5;      // gradients of A, B and the betas, relative to each one's peak
constexpr double kMaxMergedLogitError = 1e-5;  // merged INT model vs base + adapter (the bound, fp32)

// peft_utils_iec.py's forward, op for op (G: QA group, r: rank).
torch::Tensor reference_delta(const torch::Tensor& x, const irq::LoraAdapter& l) {
  const int64_t G = l.qa_group, r = l.lora_A->weight.size(0);
  auto pooled = torch::avg_pool1d(x, /*kernel_size=*/{G}) * static_cast<double>(G);     // (B, T, in / G)
  auto a = torch::matmul(pooled, l.lora_A->weight.t()) +
           l.iec_beta_a * x.reshape({x.size(0), x.size(1), r, -1}).mean(-1);           // (B, T, r)
  auto b = torch::matmul(a, l.lora_B->weight.t()).reshape({x.size(0), x.size(1), r, -1}) + l.iec_beta_b * a.unsqueeze(-1);
  return b.reshape({x.size(0), x.size(1), -1}) * l.scaling;
}

void randomize_adapters(irq::LlamaForCausalLM& model, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& p : irq::lora_parameters(model)) p.copy_(torch::randn(p.sizes(), gen, torch::kFloat64) * 0.05);
}

torch::Tensor logits_of(irq::LoadedModel& m) {
  torch::NoGradGuard no_grad;
  const auto ids = torch::tensor({{1, 17, 230, 45, 99, 3, 411, 8, 64, 12}}, torch::kInt64);
  return m.model->forward(ids).to(torch::kFloat64);
}

irq::QuantSettings int4_g32() {
  auto s = irq::QuantSettings::for_method("int4");
  s.block_size = 32;
  return s;
}

irq::LoadedModel int4_g32_model() {
  irq::LoadOptions lo;
  lo.dtype = torch::kFloat32;
  auto m = irq::load_model(irq::test::fixtures() / "tiny_llama", lo);
  irq::ModelQuantOptions o;
  o.settings = int4_g32();
  irq::quantize_model(m, o);
  return m;
}

}  // namespace

class TestQaLora : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:

  void forward_and_gradients_match_the_reference() {
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    irq::LinearImpl l(/*in=*/128, /*out=*/48, /*bias=*/false, opts);
    torch::manual_seed(3);
    {
      torch::NoGradGuard no_grad;
      l.weight.normal_();
    }
    l.weight.set_requires_grad(false);
    auto& a = irq::enable_lora(l, /*rank=*/4, /*alpha=*/16, /*iec=*/true, opts, /*seed=*/5, /*qa_group=*/32);
    QCOMPARE(a.lora_A->weight.sizes().vec(), (std::vector<int64_t>{4, 4}));  // (r, in / 32)
    const double bound = std::sqrt(6.0 / (4 + 4));                           // xavier_uniform_
    QVERIFY(a.lora_A->weight.abs().max().item<double>() <= bound);
    QVERIFY(a.lora_A->weight.abs().max().item<double>() > 0.5 * bound);
    {
      torch::NoGradGuard no_grad;
      a.lora_B->weight.normal_(0, 0.1);
      a.iec_beta_a.fill_(0.7);
      a.iec_beta_b.fill_(-0.4);
    }
    const auto x = torch::randn({2, 5, 128});
    const auto g = torch::randn({2, 5, 48});
    auto ours = l.forward(x);
    auto theirs = torch::nn::functional::linear(x, l.weight) + reference_delta(x, a);
    const double peak = theirs.abs().max().item<double>();
    QVERIFY(irq::test::max_abs_diff(ours, theirs, "QA-LoRA + IEC forward") <= kMaxForwardError * peak);

    auto grads = [&](const torch::Tensor& out) {
      std::vector<torch::Tensor> ps = {a.lora_A->weight, a.lora_B->weight, a.iec_beta_a, a.iec_beta_b};
      return torch::autograd::grad({(out * g).sum()}, ps);
    };
    const auto ga = grads(l.forward(x)), gb = grads(torch::nn::functional::linear(x, l.weight) + reference_delta(x, a));
    const char* names[] = {"grad lora_A", "grad lora_B", "grad beta_a", "grad beta_b"};
    for (size_t i = 0; i < ga.size(); ++i)
      QVERIFY(irq::test::max_abs_diff(ga[i], gb[i], names[i]) <= kMaxGradError * gb[i].abs().max().item<double>());
  }

  void group_must_divide_the_input() {
    irq::LinearImpl l(96, 32, false, torch::TensorOptions());
    QVERIFY(irq::test::throws_error([&] { irq::enable_lora(l, 2, 16, false, torch::TensorOptions(), 0, 64); }, ErrorKind::kUsage,
                                    {"QA-LoRA", "does not divide", "96"}));
  }

  // Adapter saved, reloaded onto its rebuilt base, merged into the zero points.
  void merged_int_model_equals_base_plus_adapter() {
    auto m = int4_g32_model();
    irq::LoraConfig lora;
    lora.rank = 1;  // IEC's mean groups (in / r = 64 and 96 columns) are unions of the groups of 32
    lora.iec = true;
    lora.qa_group = 32;
    irq::add_lora(m.model, lora);
    randomize_adapters(m.model, 11);
    const auto expected = logits_of(m);
    const fs::path adapter = fs::path(tmp_.path().toStdString()) / "qa_adapter";
    irq::save_adapter(adapter, m.model, lora, (irq::test::fixtures() / "tiny_llama").string(), int4_g32().to_json());
    {  // reloaded: the same function
      irq::LoadOptions lo;
      lo.dtype = torch::kFloat32;
      auto again = irq::load_model(irq::test::fixtures() / "tiny_llama", lo);
      irq::load_adapter(adapter, again);
      QVERIFY(irq::test::max_abs_diff(logits_of(again), expected, "reloaded QA-LoRA adapter") <= kMaxMergedLogitError);
    }
    irq::ExportRequest r;
    r.model_dir = irq::test::fixtures() / "tiny_llama";
    r.adapter_dir = adapter;
    r.format = "irq";
    r.merge_adapter = true;
    r.out = fs::path(tmp_.path().toStdString()) / "merged_int4";
    irq::run_export(r);
    irq::LoadOptions lo;
    lo.dtype = torch::kFloat32;
    auto merged = irq::load_model(r.out, lo);  // an irqlora-quant checkpoint loads quantized
    const double err = irq::test::max_abs_diff(logits_of(merged), expected, "merged INT4 vs base + adapter");
    QVERIFY(err <= kMaxMergedLogitError);

    // Codes and scales are the base's; only the zero points moved.
    auto base = int4_g32_model();
    bool zeros_moved = false;
    for (const auto& name : {"model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"}) {
      auto modules = merged.model->named_modules("", false);
      auto base_modules = base.model->named_modules("", false);
      const auto a = irq::quantized_weight(*modules[name]->as<irq::LinearImpl>())->to_host();
      const auto b = irq::quantized_weight(*base_modules[name]->as<irq::LinearImpl>())->to_host();
      QVERIFY(a.codes() == b.codes());
      QVERIFY(a.part<float>("scale") == b.part<float>("scale"));
      zeros_moved = zeros_moved || a.part<float>("zero") != b.part<float>("zero");
    }
    QVERIFY(zeros_moved);

    // Q4_1 GGUF of the merged model: the same nibbles (ffn_down is not row-permuted).
    irq::ExportRequest g;
    g.model_dir = r.out;
    g.format = "gguf";
    g.gguf_type = "q4_1";
    g.out = fs::path(tmp_.path().toStdString()) / "merged.gguf";
    irq::run_export(g);
    const auto file = irq::GgufFile::open(g.out);
    const auto* info = file.tensor("blk.1.ffn_down.weight");
    QVERIFY(info && info->type == irq::GgmlType::kQ4_1);
    const auto q = irq::quantized_weight(*merged.model->named_modules("", false)["model.layers.1.mlp.down_proj"]->as<irq::LinearImpl>())->to_host();
    std::vector<uint8_t> codes(static_cast<size_t>(q.numel()));
    irq::unpack_codes(q.codes().data(), q.numel(), 4, codes.data());
    std::ifstream in(g.out, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(file.data_offset + info->offset));
    std::vector<uint8_t> raw(irq::ggml_bytes(irq::GgmlType::kQ4_1, q.numel()));
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    int64_t differ = 0;
    for (int64_t b = 0; b < q.numel() / 32; ++b)  // block: f16 d, f16 m, 16 bytes (low nibble j, high nibble j + 16)
      for (int j = 0; j < 16; ++j) {
        const uint8_t byte = raw[static_cast<size_t>(b * 20 + 4 + j)];
        differ += (byte & 15) != codes[static_cast<size_t>(b * 32 + j)];
        differ += (byte >> 4) != codes[static_cast<size_t>(b * 32 + j + 16)];
      }
    QCOMPARE(differ, int64_t{0});
  }

  void merge_refuses_what_is_not_per_group() {
    auto m = int4_g32_model();
    irq::LoraConfig plain;  // full-width A: its update varies inside a group
    plain.rank = 2;
    plain.iec = false;
    irq::add_lora(m.model, plain);
    randomize_adapters(m.model, 5);
    auto* l = m.model->named_modules("", false)["model.layers.0.self_attn.q_proj"]->as<irq::LinearImpl>();
    const auto& lora = *irq::lora_of(*l);
    const auto delta = lora.scaling * torch::mm(lora.lora_B->weight, lora.A_weight()).detach();
    QVERIFY(irq::test::throws_error([&] { irq::merge_into_zero_points(irq::quantized_weight(*l)->to_host(), delta, "q_proj"); }, ErrorKind::kUsage,
                                    {"q_proj", "varies within the base's groups of 32"}));
    irq::LoadOptions lo;
    lo.dtype = torch::kFloat32;
    auto nf4 = irq::load_model(irq::test::fixtures() / "tiny_llama", lo);
    irq::ModelQuantOptions o;
    irq::quantize_model(nf4, o);
    auto* n = nf4.model->named_modules("", false)["model.layers.0.self_attn.q_proj"]->as<irq::LinearImpl>();
    QVERIFY(irq::test::throws_error([&] { irq::merge_into_zero_points(irq::quantized_weight(*n)->to_host(), torch::zeros({64, 64}), "q_proj"); },
                                    ErrorKind::kUsage, {"only an INT base with groups"}));
  }
};

IRQ_TEST_CASE(TestQaLora, "test_qa_lora")
#include "test_qa_lora.moc"
