// Peak GPU memory of LibTorch's CUDA caching allocator (what a finetune or a
// benchmark reports as "memory" on CUDA). Both are no-ops returning 0 for a
// CPU device or a LibTorch built without CUDA.
#pragma once

#include <torch/types.h>

namespace irq {

// Peak bytes allocated through the caching allocator since the last reset, in MiB.
double cuda_peak_allocated_mb(const torch::Device& device);
void cuda_reset_peak_memory(const torch::Device& device);
// Total memory of the CUDA device in bytes (0 on the CPU).
double cuda_total_memory_bytes(const torch::Device& device);

}  // namespace irq
