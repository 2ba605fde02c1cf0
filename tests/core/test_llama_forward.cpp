// LLaMA forward against golden logits of the independent numpy reference
// (scripts/fixtures/llama_reference.py, float64): a GQA LLaMA with llama3
// RoPE scaling and an untied head (BF16 weights), and a Qwen2 with q/k/v
// biases and a tied head. Then the KV cache, batching, padding masks,
// generation, and clear errors for checkpoints that do not fit the config.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "io/tensor_view.h"
#include "model/generate.h"
#include "model/model_loader.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

// fp32 engine vs float64 reference (the bound).
constexpr double kMaxLogitError = 1e-4;
// Same engine, different but equivalent computation orders (cache, batching, masks).
constexpr double kMaxReorderError = 2e-5;

struct ForwardGolden {
  torch::Tensor ids;     // (B, T) int64
  torch::Tensor logits;  // (B, T, V) float32
};

ForwardGolden forward_golden(const std::string& name) {
  const auto file = irq::SafetensorsFile::open(irq::test::fixtures() / name / "golden.safetensors");
  return {irq::tensor_view(file, *file.find("input_ids")).clone(), irq::tensor_view(file, *file.find("logits")).clone()};
}

}  // namespace

class TestLlamaForward : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void initTestCase() { torch::manual_seed(0); }

  void matches_reference_logits_data() {
    QTest::addColumn<QString>("fixture");
    QTest::newRow("llama GQA, llama3 rope, untied, BF16") << "tiny_llama";
    QTest::newRow("qwen2 biases, tied, F32") << "tiny_qwen2";
    QTest::newRow("qwen3 q_norm/k_norm, head_dim 24, tied, BF16") << "tiny_qwen3";
  }
  void matches_reference_logits() {
    QFETCH(QString, fixture);
    auto loaded = irq::load_model(irq::test::fixtures() / fixture.toStdString());
    const auto g = forward_golden(fixture.toStdString());
    torch::NoGradGuard no_grad;
    const auto logits = loaded.model->forward(g.ids);
    QCOMPARE(logits.sizes(), g.logits.sizes());
    QVERIFY(irq::test::max_abs_diff(logits, g.logits, qPrintable(fixture)) < kMaxLogitError);
  }

  // Greedy decoding against transformers' own generate() on the same fixture
  // (scripts/checks/transformers_parity.py wrote transformers_greedy.json).
  void greedy_matches_transformers_data() {
    QTest::addColumn<QString>("fixture");
    for (const char* f : {"tiny_llama", "tiny_qwen2", "tiny_qwen3"}) QTest::newRow(f) << f;
  }
  void greedy_matches_transformers() {
    QFETCH(QString, fixture);
    const auto dir = irq::test::fixtures() / fixture.toStdString();
    const auto g = nlohmann::json::parse(irq::test::read_file(dir / "transformers_greedy.json"));
    const auto prompt = g["prompt_ids"].get<std::vector<int64_t>>();
    const auto want = g["ids"].get<std::vector<int64_t>>();
    auto loaded = irq::load_model(dir);
    irq::GenerateOptions o;
    o.max_new_tokens = static_cast<int64_t>(want.size() - prompt.size());
    o.stop_at_eos = false;
    auto ids = prompt;
    const auto out = irq::generate(loaded.model, prompt, o);
    ids.insert(ids.end(), out.begin(), out.end());
    QCOMPARE(ids, want);
  }

  void parameter_names_are_hf_names() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    const auto file = irq::SafetensorsFile::open(irq::test::fixtures() / "tiny_llama" / "model.safetensors");
    std::set<std::string> params, stored;
    for (const auto& p : loaded.model->named_parameters()) params.insert(p.key());
    for (const auto& t : file.tensors()) stored.insert(t.name);
    QCOMPARE(params, stored);
    QVERIFY(loaded.ignored_tensors.empty());
  }

  void tied_head_is_the_embedding() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_qwen2");
    QCOMPARE(loaded.model->lm_head->weight.data_ptr(), loaded.model->model->embed_tokens->weight.data_ptr());
  }

  void kv_cache_matches_full_forward() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    auto& m = loaded.model;
    const auto g = forward_golden("tiny_llama");
    torch::NoGradGuard no_grad;
    const auto full = m->forward(g.ids);
    const int64_t T = g.ids.size(1);
    // token by token
    auto cache = m->make_cache(g.ids.size(0), T);
    std::vector<torch::Tensor> steps;
    for (int64_t t = 0; t < T; ++t) steps.push_back(m->forward(g.ids.narrow(1, t, 1), &cache));
    QCOMPARE(cache.length, T);
    QVERIFY(irq::test::max_abs_diff(torch::cat(steps, 1), full, "token by token") < kMaxReorderError);
    // chunked prefill: 4 tokens, then 5 more at once (masked, start > 0)
    auto cache2 = m->make_cache(g.ids.size(0), T);
    auto a = m->forward(g.ids.narrow(1, 0, 4), &cache2);
    auto b = m->forward(g.ids.narrow(1, 4, T - 4), &cache2);
    QVERIFY(irq::test::max_abs_diff(torch::cat({a, b}, 1), full, "chunked prefill") < kMaxReorderError);
    // last_only gives the last row
    auto cache3 = m->make_cache(g.ids.size(0), T);
    auto last = m->forward(g.ids, &cache3, {}, /*last_only=*/true);
    QVERIFY(irq::test::max_abs_diff(last, full.narrow(1, T - 1, 1), "last only") < kMaxReorderError);
  }

  void batch_rows_are_independent_and_padding_is_masked() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    auto& m = loaded.model;
    const auto g = forward_golden("tiny_llama");
    torch::NoGradGuard no_grad;
    const auto batched = m->forward(g.ids);
    const auto row1 = m->forward(g.ids.narrow(0, 1, 1));
    QVERIFY(irq::test::max_abs_diff(batched.narrow(0, 1, 1), row1, "batch row") < kMaxReorderError);
    // Right padding: row 0 keeps 5 real tokens, the rest is padding that must not be attended.
    auto padded = g.ids.clone();
    padded[0].narrow(0, 5, padded.size(1) - 5).fill_(0);
    auto key_mask = torch::ones_like(padded, torch::kBool);
    key_mask[0].narrow(0, 5, padded.size(1) - 5).fill_(false);
    const auto masked = m->forward(padded, nullptr, key_mask);
    const auto alone = m->forward(g.ids.narrow(0, 0, 1).narrow(1, 0, 5));
    QVERIFY(irq::test::max_abs_diff(masked.narrow(0, 0, 1).narrow(1, 0, 5), alone, "right padding") < kMaxReorderError);
  }

  void greedy_generation_is_argmax_of_full_forward() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    auto& m = loaded.model;
    const std::vector<int64_t> prompt = {1, 40, 300, 17};
    irq::GenerateOptions opts;
    opts.max_new_tokens = 12;
    opts.stop_at_eos = false;
    const auto out = irq::generate(m, prompt, opts);
    QCOMPARE(out.size(), size_t(12));
    torch::NoGradGuard no_grad;
    std::vector<int64_t> seq = prompt;
    for (int64_t expected : out) {
      const auto logits = m->forward(torch::tensor(seq).view({1, -1}));
      QCOMPARE(logits[0][-1].argmax().item<int64_t>(), expected);
      seq.push_back(expected);
    }
  }

  void sampling_is_reproducible_per_seed() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::GenerateOptions opts;
    opts.max_new_tokens = 20;
    opts.temperature = 1.5;
    opts.top_p = 0.95;
    opts.stop_at_eos = false;
    opts.seed = 7;
    const auto a = irq::generate(loaded.model, {1, 5, 6}, opts);
    const auto b = irq::generate(loaded.model, {1, 5, 6}, opts);
    opts.seed = 8;
    const auto c = irq::generate(loaded.model, {1, 5, 6}, opts);
    QCOMPARE(a, b);
    QVERIFY(a != c);
    irq::GenerateOptions top1 = opts;
    top1.top_k = 1;  // top-k 1 is greedy whatever the temperature
    irq::GenerateOptions greedy;
    greedy.max_new_tokens = 20;
    greedy.stop_at_eos = false;
    QCOMPARE(irq::generate(loaded.model, {1, 5, 6}, top1), irq::generate(loaded.model, {1, 5, 6}, greedy));
  }

  void checkpoint_that_does_not_fit_the_config() {
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "mismatch";
    fs::create_directories(dir);
    fs::copy_file(irq::test::fixtures() / "tiny_llama" / "model.safetensors", dir / "model.safetensors");
    auto cfg = nlohmann::json::parse(irq::test::read_file(irq::test::fixtures() / "tiny_llama" / "config.json"));
    cfg["intermediate_size"] = 128;
    irq::test::write_file(dir / "config.json", cfg.dump());
    QVERIFY(irq::test::throws_error([&] { irq::load_model(dir); }, ErrorKind::kInvalidInput,
                                    {"model.safetensors", "tensor 'model.layers.0.mlp.gate_proj.weight'", "has shape [96, 64]", "config.json implies [128, 64]"}));
    cfg["intermediate_size"] = 96;
    cfg["num_hidden_layers"] = 3;
    irq::test::write_file(dir / "config.json", cfg.dump());
    QVERIFY(irq::test::throws_error([&] { irq::load_model(dir); }, ErrorKind::kNotFound,
                                    {dir.string(), "no tensor 'model.layers.2."}));
  }
};

IRQ_TEST_CASE(TestLlamaForward, "test_llama_forward")
#include "test_llama_forward.moc"
