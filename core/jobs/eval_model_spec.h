// What an evaluation job scores, as front ends (CLI options, workbench forms)
// describe it; torch-free. jobs/eval_model.h loads it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "quant/quant_settings.h"

namespace irq {

struct EvalModelSpec {
  std::filesystem::path model_dir;
  std::filesystem::path adapter_dir;  // optional: LoRA / IEC-LoRA (its quantized base is rebuilt and checked)
  std::string quant;                  // "" or a method (nf4, int2..int8), quantized on load
  int64_t quant_group = 64;           // 0: per channel (INT)
  bool icq = true;
  GptqSettings gptq;                  // INT with GPTQ (--gptq --calib FILE ...)
  // A whole setting (a recorded quantize run's: lambda, n and all); when set
  // it wins over quant, quant_group, icq and gptq.
  std::optional<QuantSettings> settings;
  std::string device = "auto";
  std::string dtype;  // "": float32 on CPU, bfloat16 on CUDA
  // With an adapter and no quant: rebuild its ICQ base with this n (the
  // reference's evaluate_mmlu.py uses 125); 0 keeps the adapter's own n.
  int requantize_n = 0;
};

// Every problem with the spec, each starting with its field's name: missing
// or invalid values (paths that do not exist are the loaders' errors, which
// name the file).
void validate(const EvalModelSpec& spec, std::vector<std::string>& problems);

// The base's quantization the spec asks for (settings, else quant and its
// options), validated; nothing for a base as stored. Throws Error(kUsage).
std::optional<QuantSettings> base_settings(const EvalModelSpec& spec);

}  // namespace irq
