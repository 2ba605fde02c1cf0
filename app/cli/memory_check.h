// The memory plan (jobs/memory_plan.h) as the finetune and eval verbs use it
// before they start: printed, and a refusal with the figure when the
// prediction exceeds the CUDA device's memory.
#pragma once

#include <torch/types.h>

#include "jobs/memory_plan.h"

namespace irq::cli {

// kind: "finetune" or "eval". Throws Error(kUnsupported) when it cannot fit.
// print = false: the check alone (a data-parallel rank other than 0).
void check_memory_plan(const MemoryPlanRequest& request, const torch::Device& device, const char* kind, bool print = true);

}  // namespace irq::cli
