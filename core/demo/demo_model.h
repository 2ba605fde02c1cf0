// The built-in demo model: a small LLaMA (GQA, 4 layers, hidden 256) in HF
// layout that the project writes itself, so the workbench runs on a fresh
// machine without downloads. It is SYNTHETIC: weights are drawn from a fixed
// seed (normal with per-row scales and a heavy tail, so blockwise quantization
// has realistic outliers to calibrate), not trained; its text is gibberish.
// The tokenizer is the sentencepiece model in resources/demo, compiled in.
// It loads through exactly the same code path as a real checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace irq {

struct DemoSpec {
  int64_t hidden_size = 256;
  int64_t intermediate_size = 688;
  int64_t num_layers = 4;
  int64_t num_heads = 8;
  int64_t num_kv_heads = 4;
  int64_t max_positions = 512;
  uint64_t seed = 20240205;  // IR-QLoRA's arXiv date
};

// Bumped whenever the generator's output changes; stored in irqlora_demo.json.
constexpr int kDemoModelVersion = 1;

// Writes config.json, model.safetensors (BF16), tokenizer.model,
// tokenizer_config.json and irqlora_demo.json into `dir` atomically (a
// temporary sibling renamed into place). Throws Error(kIo) when it cannot.
void write_demo_model(const std::filesystem::path& dir, const DemoSpec& spec = {});

// $IRQ_DEMO_DIR, else $XDG_DATA_HOME/irqlora/demo-model, else ~/.local/share/irqlora/demo-model.
std::filesystem::path default_demo_dir();

// Writes the demo into `dir` unless a current version is already there; returns `dir`.
std::filesystem::path ensure_demo_model(const std::filesystem::path& dir);

// The compiled-in tokenizer.model bytes.
const std::string& demo_tokenizer_bytes();

}  // namespace irq
