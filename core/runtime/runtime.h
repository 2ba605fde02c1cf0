// Process-wide runtime settings: LibTorch's intra-op threads, device choice
// ("cpu", "cuda", "cuda:N", "auto") and the default compute dtype per device
// (float32 on CPU, bfloat16 on CUDA).
#pragma once

#include <string>

#include <torch/types.h>

namespace irq {

// LibTorch's intra-op threads = engine_threads() (runtime/threads.h). Idempotent.
void init_runtime();
int num_threads();

bool cuda_available();
// float32 matmuls on CUDA in TF32 (torch.backends.cuda.matmul.allow_tf32 =
// True, what the IR-QLoRA reference sets); no effect on the CPU.
void allow_tf32_matmul(bool on);

// Throws Error(kUsage) for a bad name, Error(kUnsupported) for cuda without a GPU.
torch::Device parse_device(const std::string& name);
torch::ScalarType default_dtype(const torch::Device& device);
// "float32" | "fp32", "bfloat16" | "bf16", "float16" | "fp16"; throws Error(kUsage).
torch::ScalarType parse_dtype(const std::string& name);
std::string dtype_display_name(torch::ScalarType type);  // "float32", "bfloat16", ...

}  // namespace irq
