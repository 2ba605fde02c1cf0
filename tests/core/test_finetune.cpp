// Finetuning: Alpaca data and the prompt template, target-only labels and
// truncation, the LR schedule, loss going down for LoRA and IEC-LoRA on a
// full-precision, a 4-bit (ICQ-NF4) and a 2-bit (ICQ-INT2) base, seeded
// reproducibility, and adapter files in the PEFT layout.
#include "support/test_support.h"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "quant/quantize_model.h"
#include "lora/lora_adapter.h"
#include "train/trainer.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

// Loss after training relative to the first steps: the tiny model must learn.
constexpr double kMaxFinalLossRatio = 0.8;

std::vector<irq::TrainExample> examples(const irq::Tokenizer& tok) {
  std::vector<irq::TrainExample> out;
  for (const auto& r : irq::load_alpaca(irq::test::fixtures() / "alpaca_tiny.json"))
    out.push_back(irq::tokenize_example(r, tok, 384, 128));
  return out;
}

struct FinetuneRun {
  std::vector<double> losses;
};

FinetuneRun train(const std::string& quant, bool iec, int64_t steps = 40, bool optimizer_offload = false) {
  auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
  if (!quant.empty()) {
    irq::ModelQuantOptions o;
    o.settings = irq::QuantSettings::for_method(quant);
    if (quant == "int2") o.settings.block_size = 32;
    irq::quantize_model(loaded, o);
  }
  irq::LoraConfig lora;
  lora.rank = 8;
  lora.alpha = 16;
  lora.iec = iec;
  irq::add_lora(loaded.model, lora);
  irq::TrainConfig c;
  c.steps = steps;
  c.batch = 4;
  c.lr = 5e-3;
  c.optimizer_offload = optimizer_offload;
  irq::Trainer t(loaded.model, examples(loaded.require_tokenizer()), c);
  t.run();
  return {t.losses()};
}

double mean(const std::vector<double>& v, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

}  // namespace

class TestFinetune : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:

  void alpaca_files_and_template() {
    const auto a = irq::load_alpaca(irq::test::fixtures() / "alpaca_tiny.json");
    QCOMPARE(a.size(), size_t(16));
    const auto b = irq::load_alpaca(irq::test::fixtures() / "alpaca_tiny.jsonl");
    QCOMPARE(b.size(), size_t(4));
    QCOMPARE(b[2].input, a[2].input);
    const std::string p = irq::alpaca_prompt(a[0]);
    QVERIFY(p.rfind("Below is an instruction that describes a task. Write a response", 0) == 0);
    QVERIFY(p.size() > 15 && p.compare(p.size() - 14, 14, "### Response: ") == 0);
    QVERIFY(irq::alpaca_prompt(a[2]).find("paired with an input") != std::string::npos);
    const fs::path bad = fs::path(tmp_.path().toStdString()) / "bad.jsonl";
    irq::test::write_file(bad, "{\"instruction\": \"x\", \"output\": \"y\"}\n{\"instruction\": 3, \"output\": \"y\"}\n");
    QVERIFY(irq::test::throws_error([&] { irq::load_alpaca(bad); }, ErrorKind::kInvalidInput, {"bad.jsonl: line 2", "\"instruction\""}));
  }

  void labels_cover_the_target_only() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    const auto& tok = loaded.require_tokenizer();
    const auto recs = irq::load_alpaca(irq::test::fixtures() / "alpaca_tiny.json");
    const auto e = irq::tokenize_example(recs[0], tok, 384, 128);
    QCOMPARE(e.input_ids.front(), tok.bos_id());
    QCOMPARE(e.input_ids.back(), tok.eos_id());
    const auto src = tok.encode(irq::alpaca_prompt(recs[0]), true);
    for (size_t i = 0; i < e.labels.size(); ++i) QCOMPARE(e.labels[i], i < src.size() ? int64_t(-100) : e.input_ids[i]);
    const auto cut = irq::tokenize_example(recs[0], tok, 10, 3);
    QCOMPARE(cut.input_ids.size(), size_t(13));  // 10 source + 3 target (EOS cut off)
  }

  void learning_rate_schedule() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::LoraConfig lora;
    lora.rank = 8;  // the default 64 exceeds this tiny model's k/v width (32): refused, see test_iec_lora
    irq::add_lora(loaded.model, lora);
    irq::TrainConfig c;
    c.steps = 100;
    c.lr = 2e-4;
    {  // the default, as the reference's "constant" (HF get_constant_schedule): no warmup
      irq::Trainer t(loaded.model, examples(loaded.require_tokenizer()), c);
      QCOMPARE(t.lr_at(0), 2e-4);
      QCOMPARE(t.lr_at(99), 2e-4);
    }
    c.warmup_ratio = 0.03;  // 3 warmup steps, HF constant-with-warmup
    irq::Trainer t(loaded.model, examples(loaded.require_tokenizer()), c);
    QCOMPARE(t.lr_at(0), 0.0);
    QCOMPARE(t.lr_at(1), 2e-4 / 3);
    QCOMPARE(t.lr_at(3), 2e-4);
    QCOMPARE(t.lr_at(99), 2e-4);
  }

  void loss_goes_down_data() {
    QTest::addColumn<QString>("quant");
    QTest::addColumn<bool>("iec");
    for (const char* q : {"", "nf4", "int2"})
      for (bool iec : {false, true})
        QTest::newRow((std::string(*q ? q : "fp") + (iec ? " IEC-LoRA" : " LoRA")).c_str()) << QString(q) << iec;
  }
  void loss_goes_down() {
    QFETCH(QString, quant);
    QFETCH(bool, iec);
    const auto r = train(quant.toStdString(), iec);
    const double first = mean(r.losses, 0, 5), last = mean(r.losses, r.losses.size() - 5, r.losses.size());
    qInfo("%s %s: loss %.3f -> %.3f over %zu steps", quant.isEmpty() ? "fp" : qPrintable(quant), iec ? "IEC-LoRA" : "LoRA", first,
          last, r.losses.size());
    QVERIFY(last < kMaxFinalLossRatio * first);
  }

  void seeded_runs_repeat() {
    const auto a = train("nf4", true, 8), b = train("nf4", true, 8);
    QCOMPARE(a.losses, b.losses);
  }

  // The moments in host memory (streamed by chunks on CUDA) change nothing:
  // the same update, bit for bit (test_flat_adamw checks it against torch).
  void optimizer_offload_gives_the_same_losses() {
    const auto kept = train("nf4", true, 8), offloaded = train("nf4", true, 8, /*optimizer_offload=*/true);
    QCOMPARE(offloaded.losses, kept.losses);
  }

  // The second half resumes with the optimizer offloaded: a checkpoint is the
  // same files in both modes.
  void resume_continues_the_same_trajectory() {
    auto setup = [&](irq::LoadedModel& m) {
      irq::ModelQuantOptions o;
      o.settings = irq::QuantSettings::for_method("nf4");
      irq::quantize_model(m, o);
      irq::LoraConfig lora;
      lora.rank = 8;
      irq::add_lora(m.model, lora);
    };
    irq::TrainConfig c;
    c.steps = 12;
    c.batch = 3;  // 16 examples: epochs end mid-run, so the data position matters
    c.accum = 2;
    c.lr = 5e-3;
    auto whole = irq::load_model(irq::test::fixtures() / "tiny_llama");
    setup(whole);
    irq::Trainer straight(whole.model, examples(whole.require_tokenizer()), c);
    straight.run();

    const fs::path ckpt = fs::path(tmp_.path().toStdString()) / "checkpoint-5";
    {
      auto first = irq::load_model(irq::test::fixtures() / "tiny_llama");
      setup(first);
      irq::Trainer t(first.model, examples(first.require_tokenizer()), c);
      t.run(5);
      t.save_checkpoint(ckpt);
    }
    auto second = irq::load_model(irq::test::fixtures() / "tiny_llama");
    setup(second);
    c.optimizer_offload = true;
    irq::Trainer resumed(second.model, examples(second.require_tokenizer()), c);
    resumed.load_checkpoint(ckpt);
    QCOMPARE(resumed.step(), int64_t(5));
    resumed.run();
    QCOMPARE(resumed.losses().size(), straight.losses().size());
    double diff = 0;
    for (size_t i = 0; i < straight.losses().size(); ++i) diff = std::max(diff, std::fabs(resumed.losses()[i] - straight.losses()[i]));
    qInfo("resumed vs uninterrupted: max |loss diff| %.3g over %zu steps", diff, straight.losses().size());
    QVERIFY(diff < 1e-6);
  }

  void adapter_reloads_onto_the_same_base() {
    auto trained = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::ModelQuantOptions o;
    o.settings = irq::QuantSettings::for_method("nf4");
    irq::quantize_model(trained, o);
    irq::LoraConfig lora;
    lora.rank = 8;
    irq::add_lora(trained.model, lora);
    irq::TrainConfig c;
    c.steps = 5;
    c.lr = 5e-3;
    irq::Trainer t(trained.model, examples(trained.require_tokenizer()), c);
    t.run();
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "reload";
    irq::save_adapter(dir, trained.model, lora, "tiny_llama", o.settings.to_json());
    QVERIFY(irq::SafetensorsFile::open(dir / "adapter_model.safetensors").find("irqlora.base.model.layers.0.self_attn.q_proj.tau_q"));

    auto fresh = irq::load_model(irq::test::fixtures() / "tiny_llama");  // full precision: the adapter's base is rebuilt
    const auto quant = irq::load_adapter(dir, fresh);
    QCOMPARE(quant["method"].get<std::string>(), std::string("nf4"));
    const auto ids = torch::tensor({1, 40, 300, 17, 5}).view({1, -1});
    torch::NoGradGuard no_grad;
    QVERIFY(irq::test::max_abs_diff(fresh.model->forward(ids), trained.model->forward(ids), "reloaded adapter") < 1e-6);

    auto cfg = nlohmann::json::parse(irq::test::read_file(dir / "adapter_config.json"));
    cfg["irqlora"]["quantization"]["lambda"] = 0.3;  // another base than the one trained on
    irq::test::write_file(dir / "adapter_config.json", cfg.dump());
    auto other = irq::load_model(irq::test::fixtures() / "tiny_llama");
    QVERIFY(irq::test::throws_error([&] { irq::load_adapter(dir, other); }, ErrorKind::kInvalidInput,
                                    {"adapter_model.safetensors", "differs from the one the adapter was trained on"}));
  }

  // An adapter written before the payload hash records only the ICQ offsets
  // (tau_q, tau_scale): a load compares those, and refuses a changed tau.
  void adapter_from_before_the_hash_checks_tau() {
    auto trained = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::ModelQuantOptions o;
    o.settings = irq::QuantSettings::for_method("nf4");
    irq::quantize_model(trained, o);
    irq::LoraConfig lora;
    lora.rank = 8;
    irq::add_lora(trained.model, lora);
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "before-hash";
    irq::save_adapter(dir, trained.model, lora, "tiny_llama", o.settings.to_json());
    // Rewritten as such an adapter: every tensor but the hashes, one tau byte changed when asked.
    const fs::path file = dir / "adapter_model.safetensors";
    const std::string tau = "irqlora.base.model.layers.1.self_attn.q_proj.tau_q";
    auto rewrite = [&](bool change_tau) {
      const auto original = irq::SafetensorsFile::open(file);
      std::vector<std::vector<uint8_t>> bytes;
      bytes.reserve(original.tensors().size());
      std::vector<irq::TensorBlob> blobs;
      for (const auto& t : original.tensors()) {
        if (t.name.size() > 5 && t.name.compare(t.name.size() - 5, 5, ".hash") == 0) continue;
        bytes.emplace_back(original.data(t), original.data(t) + (t.end - t.begin));
        if (change_tau && t.name == tau) bytes.back()[0] ^= 1;
        blobs.push_back({t.name, t.dtype, t.shape, bytes.back().data()});
      }
      irq::write_safetensors(file, blobs, {{"format", "pt"}});
    };
    rewrite(false);
    QVERIFY(irq::SafetensorsFile::open(file).find(tau));
    auto same = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::load_adapter(dir, same);  // the same base: its tau matches
    rewrite(true);
    auto other = irq::load_model(irq::test::fixtures() / "tiny_llama");
    QVERIFY(irq::test::throws_error([&] { irq::load_adapter(dir, other); }, ErrorKind::kInvalidInput,
                                    {"adapter_model.safetensors", "differs from the one the adapter was trained on",
                                     "tau_q of model.layers.1.self_attn.q_proj"}));
  }

  // An INT base has no tau: the payload hash catches a base whose codes
  // moved (here one weight of the checkpoint changed after training).
  void adapter_refuses_a_base_with_other_codes() {
    const fs::path copy = fs::path(tmp_.path().toStdString()) / "changed-base";
    fs::create_directories(copy);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.model"})
      fs::copy_file(irq::test::fixtures() / "tiny_llama" / f, copy / f);
    auto trained = irq::load_model(copy);
    irq::ModelQuantOptions o;
    o.settings = irq::QuantSettings::for_method("int4");
    o.settings.block_size = 32;
    irq::quantize_model(trained, o);
    irq::LoraConfig lora;
    lora.rank = 4;
    irq::add_lora(trained.model, lora);
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "int4-adapter";
    irq::save_adapter(dir, trained.model, lora, "tiny_llama", o.settings.to_json());
    const std::string key = "irqlora.base.model.layers.1.mlp.down_proj.hash";
    QVERIFY(irq::SafetensorsFile::open(dir / "adapter_model.safetensors").find(key));
    {
      auto same = irq::load_model(copy);
      irq::load_adapter(dir, same);  // the same base: accepted
    }
    // One weight of layer 1's down_proj becomes 1.0 (its neighbours are ~0.02) in the checkpoint.
    const std::string name = "model.layers.1.mlp.down_proj.weight";
    uint64_t offset = 0;
    std::string one;
    {
      const auto file = irq::SafetensorsFile::open(copy / "model.safetensors");
      const auto* info = file.find(name);
      QVERIFY(info);
      const float f32 = 1.0f;
      if (info->dtype == irq::DType::kF32) one.assign(reinterpret_cast<const char*>(&f32), 4);
      else if (info->dtype == irq::DType::kBF16) one = std::string("\x80\x3f", 2);
      else if (info->dtype == irq::DType::kF16) one = std::string("\x00\x3c", 2);
      else QFAIL("unexpected dtype of the fixture");
      offset = file.header_size() + info->begin + one.size() * 7;
    }
    {
      std::fstream f(copy / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(offset));
      f.write(one.data(), static_cast<std::streamsize>(one.size()));
    }
    auto changed = irq::load_model(copy);
    QVERIFY(irq::test::throws_error([&] { irq::load_adapter(dir, changed); }, ErrorKind::kInvalidInput,
                                    {"adapter_model.safetensors", "differs from the one the adapter was trained on",
                                     "model.layers.1.mlp.down_proj", "hash"}));
  }

  void gradient_checkpointing_gives_the_same_gradients_data() {
    QTest::addColumn<double>("dropout");
    QTest::newRow("no dropout") << 0.0;
    QTest::newRow("LoRA dropout 0.3: the re-run draws the same masks") << 0.3;
  }

  void gradient_checkpointing_gives_the_same_gradients() {
    QFETCH(double, dropout);
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::LoraConfig lora;
    lora.rank = 8;
    lora.dropout = dropout;
    irq::add_lora(loaded.model, lora);
    loaded.model->train();
    auto params = irq::lora_parameters(loaded.model);
    {
      torch::NoGradGuard no_grad;  // non-zero B and betas, so every path carries gradient
      for (auto& p : params) p.normal_(0, 0.05);
    }
    const auto ids = torch::tensor({1, 40, 300, 17, 5, 77, 91, 3}).view({2, 4});
    auto grads_with = [&](bool checkpoint) {
      torch::manual_seed(7);
      loaded.model->model->gradient_checkpointing = checkpoint;
      for (auto& p : params) p.mutable_grad() = torch::Tensor();
      loaded.model->forward(ids).pow(2).mean().backward();
      std::vector<torch::Tensor> g;
      for (auto& p : params) g.push_back(p.grad().clone());
      return g;
    };
    const auto plain = grads_with(false), recomputed = grads_with(true);
    double diff = 0;
    for (size_t i = 0; i < plain.size(); ++i) diff = std::max(diff, (plain[i] - recomputed[i]).abs().max().item<double>());
    qInfo("gradient checkpointing: max |grad diff| %.3g over %zu tensors", diff, plain.size());
    QVERIFY(diff < 1e-6);
    if (dropout > 0) {  // the masks matter: without dropout the gradients are others
      for (const auto& m : loaded.model->named_modules("", false))
        if (auto* lin = m.value()->as<irq::LinearImpl>(); lin && irq::lora_of(*lin)) irq::lora_of(*lin)->dropout = 0;
      const auto undropped = grads_with(false);
      double moved = 0;
      for (size_t i = 0; i < plain.size(); ++i) moved = std::max(moved, (plain[i] - undropped[i]).abs().max().item<double>());
      qInfo("dropout moves the gradients by up to %.3g", moved);
      QVERIFY(moved > 1e3 * std::max(diff, 1e-9));
    }
  }

  void evaluate_is_the_token_weighted_loss() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::LoraConfig lora;
    lora.rank = 8;
    irq::add_lora(loaded.model, lora);
    auto data = examples(loaded.require_tokenizer());
    irq::TrainConfig c;
    c.batch = 3;  // batches of unequal target counts
    irq::Trainer t(loaded.model, data, c);
    const double got = t.evaluate(data);
    // Reference: every row on its own (no padding), summed over target tokens.
    double sum = 0;
    int64_t n = 0;
    torch::NoGradGuard no_grad;
    for (const auto& e : data) {
      auto ids = torch::tensor(e.input_ids, torch::kInt64).unsqueeze(0);
      auto labels = torch::tensor(e.labels, torch::kInt64);
      auto logits = loaded.model->forward(ids).squeeze(0).to(torch::kFloat64);
      auto lp = torch::log_softmax(logits.narrow(0, 0, logits.size(0) - 1), -1);
      auto next = labels.narrow(0, 1, labels.size(0) - 1);
      for (int64_t i = 0; i < next.size(0); ++i)
        if (next[i].item<int64_t>() != -100) {
          sum -= lp[i][next[i].item<int64_t>()].item<double>();
          ++n;
        }
    }
    qInfo("held-out loss %.6f, row by row in float64 %.6f over %lld target tokens", got, sum / n, (long long)n);
    QVERIFY(std::abs(got - sum / n) < 1e-5);
    QVERIFY(irq::test::throws_error([&] { t.evaluate({}); }, ErrorKind::kUsage, {"no evaluation examples"}));
  }

  void adapter_in_peft_layout() {
    auto loaded = irq::load_model(irq::test::fixtures() / "tiny_llama");
    irq::LoraConfig lora;
    lora.rank = 8;
    irq::add_lora(loaded.model, lora);
    const fs::path dir = fs::path(tmp_.path().toStdString()) / "adapter";
    irq::save_adapter(dir, loaded.model, lora, "tiny_llama", {{"method", "nf4"}});
    const auto cfg = nlohmann::json::parse(irq::test::read_file(dir / "adapter_config.json"));
    QCOMPARE(cfg["peft_type"].get<std::string>(), std::string("LORA"));
    QCOMPARE(cfg["r"].get<int>(), 8);
    QCOMPARE(cfg["irqlora"]["iec"].get<bool>(), true);
    const auto f = irq::SafetensorsFile::open(dir / "adapter_model.safetensors");
    const auto* a = f.find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
    QVERIFY(a != nullptr);
    QCOMPARE(a->shape, (std::vector<int64_t>{8, 64}));
    QVERIFY(f.find("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight") != nullptr);
    QVERIFY(f.find("base_model.model.model.layers.1.mlp.down_proj.iec_beta_a") != nullptr);
    QCOMPARE(f.tensors().size(), size_t(2 * 7 * 4));
  }
};

IRQ_TEST_CASE(TestFinetune, "test_finetune")
#include "test_finetune.moc"
