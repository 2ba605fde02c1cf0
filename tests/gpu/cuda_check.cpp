// irqlora-check-cuda: the engine's CUDA paths against its CPU paths (which the
// unit tests hold to golden references) on the committed tiny fixtures:
// forward in fp32 and bf16, greedy decoding with the KV cache, ICQ-NF4 search
// and dequantization kernels, the GPU quantizer and quantized matmuls
// (cuda_check_quant.cpp), training on a quantized base (checkpointing on
// and off), resume, and a GPU-trained adapter evaluated on the CPU.
// Prints every comparison with its max difference and named tolerance; exits
// 1 on any failure, prints "SKIP: no CUDA device" and exits 0 without a GPU.
//   irqlora-check-cuda FIXTURES_DIR [--device cpu]
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include <torch/cuda.h>
#include <nlohmann/json.hpp>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "check_report.h"
#include "common/error.h"
#include "export/hf_export.h"
#include "model/generate.h"
#include "model/model_loader.h"
#include "builtin_formats.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"
#include "runtime/runtime.h"
#include "train/flat_adamw.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace {

constexpr double kFp32LogitTol = 1e-4;        // CUDA fp32 vs CPU fp32 logits, absolute
constexpr double kBf16LogitRelTol = 0.05;     // CUDA bf16 vs CPU fp32, relative to max |logit|
constexpr double kTrainLossTol = 1e-3;        // CUDA vs CPU loss per step (fp32, 8 steps)
constexpr double kCheckpointingLossTol = 1e-5;  // CUDA with vs without activation checkpointing
constexpr double kResumeLossTol = 1e-6;       // resumed vs uninterrupted loss per step
constexpr double kMaxFinalLossRatio = 0.8;    // bf16 training must learn (last 5 / first 5 steps)
constexpr double kOffloadParamTol = 0.0;      // offloaded AdamW (moments streamed from pinned host memory) vs on-device

fs::path g_fixtures;
using irq::check::expect_le;
using irq::check::report;

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU, torch::kFloat64) - b.to(torch::kCPU, torch::kFloat64)).abs().max().item<double>();
}
double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

torch::Device kCuda(torch::kCUDA, 0);  // --device cpu: a dry run of the checks' logic on a CPU machine
int g_failures = 0;

irq::LoadedModel load(const torch::Device& device, torch::ScalarType dtype) {
  irq::LoadOptions o;
  o.device = device;
  o.dtype = dtype;
  return irq::load_model(g_fixtures / "tiny_llama", o);
}

torch::Tensor sample_ids(const irq::LoadedModel& m) {
  auto ids = m.require_tokenizer().encode("Once upon a time there was a little robot who liked to count the stars.", true);
  return torch::tensor(ids, torch::kInt64).unsqueeze(0);
}

torch::Tensor logits(irq::LoadedModel& m, const torch::Tensor& ids) {
  torch::NoGradGuard no_grad;
  m.model->eval();
  return m.model->forward(ids.to(m.model->options().device())).to(torch::kCPU, torch::kFloat32);
}

void check_forward() {
  auto cpu = load(torch::kCPU, torch::kFloat32);
  auto gpu = load(kCuda, torch::kFloat32);
  auto bf16 = load(kCuda, torch::kBFloat16);
  const auto ids = sample_ids(cpu);
  const auto ref = logits(cpu, ids);
  expect_le("forward fp32: CUDA vs CPU logits", max_abs_diff(logits(gpu, ids), ref), kFp32LogitTol);
  const double scale = ref.abs().max().item<double>();
  expect_le("forward bf16 (CUDA) vs fp32 (CPU), relative", max_abs_diff(logits(bf16, ids), ref) / scale, kBf16LogitRelTol);

  irq::GenerateOptions g;
  g.max_new_tokens = 24;
  g.stop_at_eos = false;
  const auto prompt = cpu.require_tokenizer().encode("Once upon a time", true);
  const auto a = irq::generate(cpu.model, prompt, g), b = irq::generate(gpu.model, prompt, g);
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += i >= b.size() || a[i] != b[i];
  report("greedy decoding with KV cache: CUDA vs CPU tokens differing", static_cast<double>(differ), 0, differ == 0 && a.size() == b.size());
}

// ICQ-NF4 on the GPU (search kernel) and on the CPU give the same codes, and
// the dequantization kernel reproduces the CPU dequantization bit for bit.
void check_quantization() {
  auto cpu = load(torch::kCPU, torch::kFloat32);
  auto gpu = load(kCuda, torch::kFloat32);
  irq::ModelQuantOptions o;
  o.settings = irq::QuantSettings::for_method("nf4");
  irq::quantize_model(cpu, o);
  irq::quantize_model(gpu, o);  // the model is on CUDA: the plugin's GPU search
  auto cpu_modules = cpu.model->named_modules("", false);
  int64_t layers = 0, code_mismatch = 0;
  double deq32 = 0, deq16 = 0;
  for (const auto& item : gpu.model->named_modules("", false)) {
    auto* gl = item.value()->as<irq::LinearImpl>();
    const irq::QuantizedWeight* g = gl ? irq::quantized_weight(*gl) : nullptr;
    if (!g) continue;
    const irq::QuantizedWeight* c = irq::quantized_weight(*cpu_modules[item.key()]->as<irq::LinearImpl>());
    ++layers;
    code_mismatch += !torch::equal(g->codes().cpu(), c->codes()) || !torch::equal(g->part("tau_q").cpu(), c->part("tau_q")) ||
                     !torch::equal(g->part("absmax_q").cpu(), c->part("absmax_q"));
    deq32 = std::max(deq32, max_abs_diff(g->dequantize(torch::kFloat32), c->dequantize(torch::kFloat32)));
    deq16 = std::max(deq16, max_abs_diff(g->dequantize(torch::kBFloat16), c->dequantize(torch::kBFloat16)));
  }
  report("ICQ-NF4: layers whose GPU codes/tau/absmax differ from CPU (of " + std::to_string(layers) + ")",
         static_cast<double>(code_mismatch), 0, code_mismatch == 0 && layers > 0);
  report("ICQ-NF4 dequantization kernel fp32 vs CPU", deq32, 0, deq32 == 0);
  report("ICQ-NF4 dequantization kernel bf16 vs CPU", deq16, 0, deq16 == 0);
  const auto ids = sample_ids(cpu);
  expect_le("ICQ-NF4 model forward fp32: CUDA vs CPU", max_abs_diff(logits(gpu, ids), logits(cpu, ids)), kFp32LogitTol);

  // A float32 checkpoint whose values bfloat16 cannot hold: the bf16 CUDA
  // model must quantize the stored values (same codes and tau as the CPU).
  {
    auto src = load(torch::kCPU, torch::kFloat32);
    {
      torch::NoGradGuard no_grad;
      auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
      for (auto& p : src.model->parameters()) p.mul_(1.0 + 1e-3 * torch::randn(p.sizes(), gen, torch::kFloat32));
    }
    const fs::path f32 = fs::temp_directory_path() / ("irqlora-check-f32-" + std::to_string(::getpid()));
    irq::ExportOptions force;
    force.force = true;
    irq::export_merged(src, f32, irq::DType::kF32, force);
    irq::LoadOptions lc, lg;
    lc.dtype = torch::kFloat32;
    lg.device = kCuda;
    lg.dtype = torch::kBFloat16;
    auto c32 = irq::load_model(f32, lc), g16 = irq::load_model(f32, lg);
    irq::quantize_model(c32, o);
    irq::quantize_model(g16, o);
    auto cm = c32.model->named_modules("", false);
    int64_t differ = 0;
    for (const auto& item : g16.model->named_modules("", false))
      if (auto* gl = item.value()->as<irq::LinearImpl>(); gl && irq::quantized_weight(*gl)) {
        const auto* g = irq::quantized_weight(*gl);
        const auto* c = irq::quantized_weight(*cm[item.key()]->as<irq::LinearImpl>());
        differ += !torch::equal(g->part("tau_q").cpu(), c->part("tau_q")) || !torch::equal(g->codes().cpu(), c->codes());
      }
    report("F32 checkpoint: bf16 CUDA vs fp32 CPU base, layers whose codes/tau differ", static_cast<double>(differ), 0, differ == 0);
    fs::remove_all(f32);
  }

  auto cpu4 = load(torch::kCPU, torch::kFloat32);
  auto gpu4 = load(kCuda, torch::kFloat32);
  o.settings = irq::QuantSettings::for_method("int4");
  irq::quantize_model(cpu4, o);
  irq::quantize_model(gpu4, o);
  expect_le("ICQ-INT4 model forward fp32: CUDA vs CPU", max_abs_diff(logits(gpu4, ids), logits(cpu4, ids)), kFp32LogitTol);
}

struct Trained {
  irq::LoadedModel model;
  std::vector<double> losses;
};

irq::LoraConfig lora_config() {
  irq::LoraConfig l;
  l.rank = 8;
  l.alpha = 16;
  l.iec = true;
  return l;
}

irq::TrainConfig train_config(int64_t steps, bool checkpointing) {
  irq::TrainConfig c;
  c.steps = steps;
  c.batch = 4;
  c.lr = 5e-3;
  c.gradient_checkpointing = checkpointing ? 1 : 0;
  return c;
}

std::vector<irq::TrainExample> examples(const irq::Tokenizer& tok) {
  std::vector<irq::TrainExample> out;
  for (const auto& r : irq::load_alpaca(g_fixtures / "alpaca_tiny.json")) out.push_back(irq::tokenize_example(r, tok, 384, 128));
  return out;
}

// ICQ-NF4 base + IEC-LoRA, trained for `steps`.
Trained train(const torch::Device& device, torch::ScalarType dtype, int64_t steps, bool checkpointing,
              const std::function<void(irq::Trainer&)>& before = {}) {
  Trained t{load(device, dtype), {}};
  irq::ModelQuantOptions o;
  o.settings = irq::QuantSettings::for_method("nf4");
  irq::quantize_model(t.model, o);
  irq::add_lora(t.model.model, lora_config());
  irq::Trainer trainer(t.model.model, examples(t.model.require_tokenizer()), train_config(steps, checkpointing));
  if (before) before(trainer);
  trainer.run();
  t.losses = trainer.losses();
  return t;
}

void check_training(const fs::path& tmp) {
  const auto cpu = train(torch::kCPU, torch::kFloat32, 8, false);
  auto gpu = train(kCuda, torch::kFloat32, 8, true);
  const auto gpu_plain = train(kCuda, torch::kFloat32, 8, false);
  std::printf("     losses CPU  %.6f ... %.6f\n     losses CUDA %.6f ... %.6f\n", cpu.losses.front(), cpu.losses.back(),
              gpu.losses.front(), gpu.losses.back());
  expect_le("IEC-LoRA on ICQ-NF4, 8 steps: CUDA vs CPU loss", max_diff(gpu.losses, cpu.losses), kTrainLossTol);
  expect_le("CUDA: activation checkpointing vs plain backward loss", max_diff(gpu.losses, gpu_plain.losses), kCheckpointingLossTol);

  // Resume on the GPU: 4 steps, checkpoint, a fresh model resumes for 4 more.
  const fs::path ckpt = tmp / "checkpoint";
  auto first = train(kCuda, torch::kFloat32, 4, true);
  {
    auto m = load(kCuda, torch::kFloat32);
    irq::ModelQuantOptions o;
    o.settings = irq::QuantSettings::for_method("nf4");
    irq::quantize_model(m, o);
    irq::add_lora(m.model, lora_config());
    irq::Trainer t(m.model, examples(m.require_tokenizer()), train_config(4, true));
    t.run();
    t.save_checkpoint(ckpt);
  }
  const auto resumed = train(kCuda, torch::kFloat32, 8, true, [&](irq::Trainer& t) { t.load_checkpoint(ckpt); });
  expect_le("CUDA resume after 4 of 8 steps vs uninterrupted loss", max_diff(resumed.losses, gpu.losses), kResumeLossTol);

  // The GPU-trained adapter, loaded on the CPU (base re-quantized there, tau checked).
  const fs::path adapter = tmp / "adapter";
  irq::save_adapter(adapter, gpu.model.model, lora_config(), "tiny_llama", irq::QuantSettings::for_method("nf4").to_json());
  auto cpu_eval = load(torch::kCPU, torch::kFloat32);
  irq::load_adapter(adapter, cpu_eval);
  const auto ids = sample_ids(cpu_eval);
  expect_le("GPU-trained adapter evaluated on the CPU vs on the GPU", max_abs_diff(logits(cpu_eval, ids), logits(gpu.model, ids)),
            kFp32LogitTol);

  // AdamW with its moments in pinned host memory, streamed through the GPU in
  // chunks that do not divide the buffer, against torch's AdamW on the GPU.
  {
    torch::manual_seed(3);
    const int64_t n = 100003;
    auto init = torch::randn({n}, torch::TensorOptions().device(kCuda));
    auto make = [&] {
      auto p = init.clone();
      p.set_requires_grad(true);
      p.mutable_grad() = torch::zeros_like(p);
      return p;
    };
    auto reference = make(), offloaded = make();
    torch::optim::AdamW ref_opt({reference}, torch::optim::AdamWOptions(1e-2).weight_decay(0.01));
    irq::FlatAdamWOptions o;
    o.lr = 1e-2;
    o.weight_decay = 0.01;
    o.offload = true;
    o.chunk = 4096;
    irq::FlatAdamW off_opt(offloaded, o);
    for (int s = 0; s < 5; ++s) {
      const auto g = torch::randn({n}, init.options());
      reference.mutable_grad().copy_(g);
      offloaded.mutable_grad().copy_(g);
      ref_opt.step();
      off_opt.step();
    }
    expect_le("offloaded AdamW (pinned host moments, 4096-value chunks) vs torch AdamW on the GPU, 5 steps",
              (reference.detach() - offloaded.detach()).abs().max().item<double>(), kOffloadParamTol);
  }

  const auto bf16 = train(kCuda, torch::kBFloat16, 40, true);
  double head = 0, tail = 0;
  for (size_t i = 0; i < 5; ++i) head += bf16.losses[i], tail += bf16.losses[bf16.losses.size() - 1 - i];
  std::printf("     bf16 losses %.4f ... %.4f\n", bf16.losses.front(), bf16.losses.back());
  expect_le("bf16 CUDA training, 40 steps: last-5 / first-5 mean loss", tail / head, kMaxFinalLossRatio);
}

}  // namespace

namespace irq::check {

void report(const std::string& what, double value, double tol, bool ok) {
  std::printf("%-4s %-58s %.3g (tolerance %.3g)\n", ok ? "ok" : "FAIL", what.c_str(), value, tol);
  std::fflush(stdout);
  if (!ok) ++g_failures;
}
void expect_le(const std::string& what, double value, double tol) { report(what, value, tol, value <= tol); }
const torch::Device& cuda_device() { return kCuda; }

}  // namespace irq::check

int main(int argc, char** argv) {
  const bool dry_run = argc == 4 && std::string(argv[2]) == "--device" && std::string(argv[3]) == "cpu";
  if (argc != 2 && !dry_run) {
    std::fprintf(stderr, "usage: irqlora-check-cuda FIXTURES_DIR [--device cpu]\n");
    return 2;
  }
  if (dry_run) kCuda = torch::kCPU;
  else if (!torch::cuda::is_available()) {
    std::printf("SKIP: no CUDA device\n");
    return 0;
  }
  g_fixtures = argv[1];
  try {
    irq::init_runtime();
    irq::register_builtin_formats();
    const fs::path tmp = fs::temp_directory_path() / ("irqlora-check-cuda-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    check_forward();
    check_quantization();
    check_device_quantization();
    check_quantized_linear();
    check_training(tmp);
    fs::remove_all(tmp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "PASSED", g_failures);
  return g_failures ? 1 : 0;
}
