// The memory plan (jobs/memory_plan.h) as a finetune or an evaluation uses
// it before it starts: said (the predicted peak), and a refusal with the
// figure when the prediction exceeds the CUDA device's memory.
#pragma once

#include <functional>
#include <string>

#include <torch/types.h>

#include "jobs/memory_plan.h"

namespace irq {

// kind: "finetune" or "eval". Throws Error(kUnsupported) when it cannot fit.
// `say` receives the plan's lines (null: the check alone).
void check_memory_plan(const MemoryPlanRequest& request, const torch::Device& device, const char* kind,
                       const std::function<void(const std::string&)>& say);
// Bytes per value of the frozen base's compute dtype: `dtype` when given,
// else the device's default (runtime.h: float32 on the CPU, bfloat16 on CUDA).
int compute_dtype_bytes(const std::string& dtype, const torch::Device& device);

}  // namespace irq
