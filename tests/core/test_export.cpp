// Exports on the tiny fixture: the folded peft adapter against the IEC
// adapter it came from, the merged checkpoint against the adapted quantized
// model, GGUF (F32/F16/Q8_0/Q4_1) read back with the engine's own reader
// (names, metadata, q/k permutation, stated error bounds), bitsandbytes NF4
// dequantized independently, and the target checks (--force, free space).
#include "support/test_support.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "export/format_exporter.h"
#include "jobs/export_job.h"
#include "export/export_target.h"
#include "export/gguf_export.h"
#include "export/hf_export.h"
#include "export/model_tensors.h"
#include "io/safetensors.h"
#include "io/tensor_view.h"
#include "lora/lora_adapter.h"
#include "model/layers.h"
#include "quant/dynamic_map.h"
#include "quant/nf4_levels.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"
#include "train/trainer.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

constexpr double kFoldedAdapterTol = 1e-5;  // folded plain LoRA vs IEC-LoRA logits (issue requirement)
constexpr double kMergedTol = 1e-4;         // merged fp32 checkpoint vs adapted quantized model logits
constexpr double kF16RoundTol = 0.0;        // F16 read back equals torch's float16 rounding exactly
constexpr double kQ4_1StepFraction = 30.0 / 2048.0;  // |x_gguf - x_int4| <= 2^-11 (15 |s| + |z s|) <= 30 * 2^-11 |s| for z <= 15

irq::LoadedModel load_tiny() { return irq::load_model(irq::test::fixtures() / "tiny_llama"); }

void quantize_tiny(irq::LoadedModel& m, const std::string& method, int64_t block, bool icq) {
  irq::ModelQuantOptions o;
  o.settings = irq::QuantSettings::for_method(method);
  o.settings.block_size = block;
  o.settings.icq = icq;
  irq::quantize_model(m, o);
}

// IEC-LoRA with nonzero A, B and betas (a trained adapter, not the init).
void add_trained_iec(irq::LoadedModel& m) {
  irq::LoraConfig l;
  l.rank = 8;
  l.alpha = 16;
  l.iec = true;
  irq::add_lora(m.model, l);
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  for (auto& p : irq::lora_parameters(m.model)) p.copy_(torch::randn(p.sizes(), gen, torch::kFloat64) * 0.05);
}

torch::Tensor logits(irq::LoadedModel& m) {
  torch::NoGradGuard no_grad;
  m.model->eval();
  return m.model->forward(torch::tensor({1, 17, 93, 250, 4, 77, 300, 12}, torch::kInt64).view({1, -1}));
}

}  // namespace

class TestExport : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path out(const char* name) const { return fs::path(tmp_.path().toStdString()) / name; }

 private Q_SLOTS:

  void peft_adapter_folds_iec_exactly() {
    auto m = load_tiny();
    quantize_tiny(m, "nf4", 64, true);
    add_trained_iec(m);
    const auto want = logits(m);
    irq::export_peft(m, out("peft"), irq::QuantSettings::for_method("nf4").to_json(), {});

    const auto cfg = nlohmann::json::parse(irq::test::read_file(out("peft") / "adapter_config.json"));
    QCOMPARE(cfg["peft_type"].get<std::string>(), std::string("LORA"));
    QCOMPARE(cfg["r"].get<int>(), 8);
    QCOMPARE(cfg["lora_alpha"].get<double>(), 16.0);
    QVERIFY(!cfg.contains("irqlora"));  // a config peft loads without unknown keys
    QCOMPARE(cfg["target_modules"].size(), size_t(7));

    // The same quantized base with the folded adapter as plain LoRA.
    auto plain = load_tiny();
    quantize_tiny(plain, "nf4", 64, true);
    irq::LoraConfig l;
    l.rank = 8;
    l.alpha = 16;
    l.iec = false;
    irq::add_lora(plain.model, l);
    const auto f = irq::SafetensorsFile::open(out("peft") / "adapter_model.safetensors");
    QCOMPARE(f.tensors().size(), size_t(2 * 7 * 2));
    torch::NoGradGuard no_grad;
    for (const auto& [name, layer] : irq::adapted_linears(plain)) {
      const auto* a = f.find("base_model.model." + name + ".lora_A.weight");
      const auto* b = f.find("base_model.model." + name + ".lora_B.weight");
      QVERIFY2(a && b, name.c_str());
      auto& lora = *irq::lora_of(*layer);
      QVERIFY(!lora.iec());
      lora.lora_A->weight.copy_(irq::tensor_view(f, *a));
      lora.lora_B->weight.copy_(irq::tensor_view(f, *b));
    }
    QVERIFY(irq::test::max_abs_diff(logits(plain), want, "folded peft adapter vs IEC adapter") < kFoldedAdapterTol);
  }

  void merged_checkpoint_loads_and_matches() {
    auto m = load_tiny();
    quantize_tiny(m, "nf4", 64, true);
    add_trained_iec(m);
    const auto want = logits(m);
    irq::export_merged(m, out("merged"), irq::DType::kF32, {});
    const auto cfg = nlohmann::json::parse(irq::test::read_file(out("merged") / "config.json"));
    QCOMPARE(cfg["torch_dtype"].get<std::string>(), std::string("float32"));
    QVERIFY(!cfg.contains("quantization_config"));
    QVERIFY(fs::exists(out("merged") / "tokenizer.model"));
    auto merged = irq::load_model(out("merged"));
    QVERIFY(irq::test::max_abs_diff(logits(merged), want, "merged checkpoint vs adapted model") < kMergedTol);
    const auto f = irq::SafetensorsFile::open(out("merged") / "model.safetensors");
    for (const auto& t : f.tensors()) QVERIFY2(t.name.find("lora") == std::string::npos, t.name.c_str());
  }

  void gguf_f32_f16_q8_0_round_trip() {
    auto m = load_tiny();
    add_trained_iec(m);
    const auto merged = irq::model_tensors(m, true);
    for (const auto type : {irq::GgmlType::kF32, irq::GgmlType::kF16, irq::GgmlType::kQ8_0}) {
      const fs::path file = out((std::string("m-") + irq::ggml_type_name(type) + ".gguf").c_str());
      irq::export_gguf(m, file, type, {});
      const auto g = irq::GgufFile::open(file);
      QCOMPARE(g.version, 3u);
      QCOMPARE(g.find("general.architecture")->value.get<std::string>(), std::string("llama"));
      QCOMPARE(g.find("llama.block_count")->value.get<int>(), 2);
      QCOMPARE(g.find("llama.attention.head_count")->value.get<int>(), 4);
      QCOMPARE(g.find("llama.attention.head_count_kv")->value.get<int>(), 2);
      QCOMPARE(g.find("llama.rope.dimension_count")->value.get<int>(), 16);
      QCOMPARE(g.find("tokenizer.ggml.tokens")->value.size(), size_t(512));
      QCOMPARE(g.find("tokenizer.ggml.token_type")->value[1].get<int>(), 3);  // <s> is a control piece
      QCOMPARE(g.find("tokenizer.ggml.bos_token_id")->value.get<int>(), 1);
      QVERIFY(g.tensor("rope_freqs.weight"));  // llama3 RoPE scaling, as llama.cpp reads it
      QCOMPARE(g.tensors.size(), merged.size() + 1);
      for (const auto& t : merged) {
        const std::string name = irq::gguf_tensor_name(t.name);
        QVERIFY2(g.tensor(name), name.c_str());
        auto want = t.value();
        const int64_t heads = t.name.find("q_proj") != std::string::npos ? 4 : t.name.find("k_proj") != std::string::npos ? 2 : 0;
        if (heads) want = want.index_select(0, irq::gguf_qk_row_permutation(want.size(0), heads));
        const auto got = irq::read_gguf_tensor(g, name);
        QCOMPARE(got.sizes().vec(), want.sizes().vec());
        const auto info = *g.tensor(name);
        if (info.type == irq::GgmlType::kF32) {
          QCOMPARE((got - want).abs().max().item<double>(), 0.0);
        } else if (info.type == irq::GgmlType::kF16) {
          QVERIFY((got - want.to(torch::kFloat16).to(torch::kFloat32)).abs().max().item<double>() <= kF16RoundTol);
        } else {  // Q8_0: half a step of d, plus d's own f16 rounding over |q| <= 127
          const auto x = want.reshape({-1, 32});
          const auto d = x.abs().amax(1, true) / 127.0;
          const auto d16 = d.to(torch::kFloat16).to(torch::kFloat32);
          const auto bound = 0.5 * d16 + 127.0 * (d16 - d).abs() + 1e-7;
          QVERIFY2(((got.reshape({-1, 32}) - x).abs() <= bound).all().item<bool>(), name.c_str());
        }
      }
    }
  }

  void gguf_q4_1_from_int4_within_the_stated_bound() {
    auto m = load_tiny();
    quantize_tiny(m, "int4", 32, true);
    irq::export_gguf(m, out("q41.gguf"), irq::GgmlType::kQ4_1, {});
    const auto g = irq::GgufFile::open(out("q41.gguf"));
    QCOMPARE(g.find("general.file_type")->value.get<int>(), 3);
    double worst = 0;
    for (const auto& t : irq::model_tensors(m, false)) {
      if (!t.linear || !irq::quantized_weight(*t.linear)) continue;  // lm_head stays F16
      const auto name = irq::gguf_tensor_name(t.name);
      QVERIFY(g.tensor(name)->type == irq::GgmlType::kQ4_1);
      auto want = irq::quantized_weight(*t.linear)->dequantize(torch::kFloat32);
      auto q = irq::quantized_weight(*t.linear)->to_host();
      auto scale = torch::tensor(q.part<float>("scale")).view({q.rows(), -1});
      const int64_t heads = t.name.find("q_proj") != std::string::npos ? 4 : t.name.find("k_proj") != std::string::npos ? 2 : 0;
      if (heads) {
        const auto perm = irq::gguf_qk_row_permutation(want.size(0), heads);
        want = want.index_select(0, perm);
        scale = scale.index_select(0, perm);
      }
      const auto err = (irq::read_gguf_tensor(g, name) - want).abs().view({want.size(0), -1, 32}).amax(2);  // per group
      const auto ratio = (err / scale.abs().clamp_min(1e-30)).max().item<double>();
      worst = std::max(worst, ratio);
    }
    qInfo("Q4_1 vs INT4: max error %.3g quantization steps (bound %.3g)", worst, kQ4_1StepFraction);
    QVERIFY(worst <= kQ4_1StepFraction);

    auto lora = load_tiny();
    quantize_tiny(lora, "int4", 32, true);
    add_trained_iec(lora);
    QVERIFY(irq::test::throws_error([&] { irq::export_gguf(lora, out("no.gguf"), irq::GgmlType::kQ4_1, {}); }, ErrorKind::kUsage,
                                    {"cannot carry an adapter"}));
    auto nf4 = load_tiny();
    quantize_tiny(nf4, "nf4", 64, true);
    QVERIFY(irq::test::throws_error([&] { irq::export_gguf(nf4, out("no.gguf"), irq::GgmlType::kQ4_1, {}); }, ErrorKind::kUsage,
                                    {"not INT4 with group 32"}));
    QVERIFY(!fs::exists(out("no.gguf")));
  }

  void gguf_reader_names_the_problem() {
    auto m = load_tiny();
    irq::export_gguf(m, out("t.gguf"), irq::GgmlType::kF16, {});
    const auto bytes = irq::test::read_file(out("t.gguf"));
    irq::test::write_file(out("cut.gguf"), bytes.substr(0, bytes.size() - 100));
    QVERIFY(irq::test::throws_error([&] { irq::GgufFile::open(out("cut.gguf")); }, ErrorKind::kInvalidInput,
                                    {"cut.gguf", "runs past the end of the file"}));
    irq::test::write_file(out("bad.gguf"), "GGUX" + bytes.substr(4));
    QVERIFY(irq::test::throws_error([&] { irq::GgufFile::open(out("bad.gguf")); }, ErrorKind::kInvalidInput, {"bad.gguf", "bad magic"}));
  }

  // A GGUF v3 file with one F32 tensor "t" of the given dimensions at offset
  // 0, no metadata, and `data` bytes of payload after the aligned header.
  static std::string one_tensor_gguf(const std::vector<uint64_t>& ne, size_t data) {
    std::string b;
    auto put = [&](auto v) { b.append(reinterpret_cast<const char*>(&v), sizeof v); };
    put(uint32_t{0x46554747});
    put(uint32_t{3});
    put(uint64_t{1});  // tensors
    put(uint64_t{0});  // metadata
    put(uint64_t{1});
    b += "t";
    put(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) put(d);
    put(uint32_t{0});  // F32
    put(uint64_t{0});  // offset
    b.resize((b.size() + 31) / 32 * 32, '\0');
    b.append(data, '\0');
    return b;
  }

  void gguf_reader_checks_dimensions_without_overflow() {
    irq::test::write_file(out("ok.gguf"), one_tensor_gguf({4, 2}, 32));
    QCOMPARE(irq::GgufFile::open(out("ok.gguf")).tensor("t")->numel(), int64_t(8));
    // 2^32 x 2^32 elements: the int64 product wraps to 0 and "0 bytes" passed the bounds check before.
    irq::test::write_file(out("wrap.gguf"), one_tensor_gguf({uint64_t{1} << 32, uint64_t{1} << 32}, 32));
    QVERIFY(irq::test::throws_error([&] { irq::GgufFile::open(out("wrap.gguf")); }, ErrorKind::kInvalidInput,
                                    {"wrap.gguf", "tensor t: more elements than the file could hold"}));
    // 2^63 became a negative int64 dimension.
    irq::test::write_file(out("neg.gguf"), one_tensor_gguf({uint64_t{1} << 63}, 32));
    QVERIFY(irq::test::throws_error([&] { irq::GgufFile::open(out("neg.gguf")); }, ErrorKind::kInvalidInput,
                                    {"neg.gguf", "tensor t: dimension 0 = 9223372036854775808"}));
    // 2^61 F32 elements = 2^63 bytes: the byte count is exact in 128 bits, not wrapped.
    irq::test::write_file(out("big.gguf"), one_tensor_gguf({uint64_t{1} << 30, uint64_t{1} << 31}, 32));
    QVERIFY(irq::test::throws_error([&] { irq::GgufFile::open(out("big.gguf")); }, ErrorKind::kInvalidInput, {"big.gguf"}));
    irq::test::write_file(out("zero.gguf"), one_tensor_gguf({0, 4}, 32));
    QVERIFY(irq::test::throws_error([&] { irq::GgufFile::open(out("zero.gguf")); }, ErrorKind::kInvalidInput,
                                    {"zero.gguf", "dimension 0 = 0"}));
  }

  void bnb_nf4_dequantizes_like_bitsandbytes() {
    auto m = load_tiny();
    quantize_tiny(m, "nf4", 64, /*icq=*/false);
    irq::find_format_exporter("bnb-nf4")->run(m, out("bnb"), irq::DType::kBF16, {});
    const auto cfg = nlohmann::json::parse(irq::test::read_file(out("bnb") / "config.json"));
    QCOMPARE(cfg["quantization_config"]["quant_method"].get<std::string>(), std::string("bitsandbytes"));
    QCOMPARE(cfg["quantization_config"]["bnb_4bit_quant_type"].get<std::string>(), std::string("nf4"));
    const auto f = irq::SafetensorsFile::open(out("bnb") / "model.safetensors");
    const auto levels = torch::tensor(std::vector<float>(irq::kNf4Levels.begin(), irq::kNf4Levels.end()));
    int64_t checked = 0;
    for (const auto& t : irq::model_tensors(m, false)) {
      if (!t.linear || !irq::quantized_weight(*t.linear)) continue;  // lm_head is stored in bf16
      const std::string w = t.name;
      auto get = [&](const std::string& k) {
        const auto* info = f.find(k);
        if (!info) qFatal("missing %s", k.c_str());
        return irq::tensor_view(f, *info).clone();
      };
      const auto state = get(w + ".quant_state.bitsandbytes__nf4");
      const auto json = nlohmann::json::parse(std::string(state.data_ptr<uint8_t>(), state.data_ptr<uint8_t>() + state.numel()));
      QCOMPARE(json["blocksize"].get<int>(), 64);
      // dequantize_4bit returns this dtype: anything narrower rounds the weight before the compute dtype.
      QCOMPARE(json["dtype"].get<std::string>(), std::string("float32"));
      QCOMPARE(json["shape"].get<std::vector<int64_t>>(), t.shape);
      // bitsandbytes dequantize_4bit with nested statistics, written out independently here.
      const auto packed = get(w).view({-1});
      const auto codes = torch::stack({packed.bitwise_right_shift(4), packed.bitwise_and(15)}, 1).view({-1}).to(torch::kInt64);
      const auto nested_map = get(w + ".nested_quant_map"), nested_absmax = get(w + ".nested_absmax");
      const auto absmax_q = get(w + ".absmax").to(torch::kInt64);
      const auto group = torch::arange(absmax_q.numel(), torch::kInt64).div(256, "floor");
      const auto absmax = nested_map.index_select(0, absmax_q) * nested_absmax.index_select(0, group) + json["nested_offset"].get<float>();
      const auto block = torch::arange(codes.numel(), torch::kInt64).div(64, "floor");
      const auto x = (get(w + ".quant_map").index_select(0, codes) * absmax.index_select(0, block)).narrow(0, 0, t.shape[0] * t.shape[1]);
      const auto want = irq::quantized_weight(*t.linear)->dequantize(torch::kFloat32).reshape({-1});
      QVERIFY2((x - want).abs().max().item<double>() <= 1e-6 * want.abs().max().item<double>(), w.c_str());
      ++checked;
    }
    QCOMPARE(checked, int64_t(14));
    auto icq = load_tiny();
    quantize_tiny(icq, "nf4", 64, /*icq=*/true);
    QVERIFY(irq::test::throws_error([&] { irq::find_format_exporter("bnb-nf4")->run(icq, out("bnb-icq"), irq::DType::kBF16, {}); }, ErrorKind::kUsage,
                                    {"tau", "--quant-no-icq"}));
  }

  void auto_out_dtype_is_the_checkpoints_widest() {
    irq::LoadedModel m;
    m.stored_dtypes = {{"a", "BF16"}, {"b", "F16"}};
    QCOMPARE(irq::source_float_dtype(m), irq::DType::kBF16);
    m.stored_dtypes["norm"] = "F32";
    QCOMPARE(irq::source_float_dtype(m), irq::DType::kF32);
    m.stored_dtypes = {{"a", "F16"}, {"codes", "U8"}};
    QCOMPARE(irq::source_float_dtype(m), irq::DType::kF16);
  }

  void refuses_to_overwrite_and_checks_space() {
    auto m = load_tiny();
    irq::test::write_file(out("keep.gguf"), "user data");
    QVERIFY(irq::test::throws_error([&] { irq::export_gguf(m, out("keep.gguf"), irq::GgmlType::kF16, {}); }, ErrorKind::kUsage,
                                    {"keep.gguf", "--force"}));
    QCOMPARE(irq::test::read_file(out("keep.gguf")), std::string("user data"));
    irq::ExportOptions force;
    force.force = true;
    irq::export_gguf(m, out("keep.gguf"), irq::GgmlType::kF16, force);
    QVERIFY(irq::GgufFile::open(out("keep.gguf")).tensors.size() > 0);
    QVERIFY(irq::test::throws_error([&] { irq::check_export_target(out("huge"), false, uint64_t(1) << 62); }, ErrorKind::kIo,
                                    {"huge", "free"}));
    for (const auto& e : fs::directory_iterator(tmp_.path().toStdString()))
      QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }
};

IRQ_TEST_CASE(TestExport, "test_export")
#include "test_export.moc"
