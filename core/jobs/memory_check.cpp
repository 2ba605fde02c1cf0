// Prints the predicted peak and refuses a plan larger than the GPU.
#include "jobs/memory_check.h"

#include "common/error.h"
#include "runtime/cuda_memory.h"
#include "runtime/runtime.h"

namespace irq {

int compute_dtype_bytes(const std::string& dtype, const torch::Device& device) {
  return static_cast<int>(torch::elementSize(dtype.empty() ? default_dtype(device) : parse_dtype(dtype)));
}

void check_memory_plan(const MemoryPlanRequest& request, const torch::Device& device, const char* kind,
                       const std::function<void(const std::string&)>& say) {
  const auto plan = plan_memory(request);
  const bool finetune = std::string(kind) == "finetune";
  const double need = finetune ? plan.finetune_bytes : plan.eval_bytes;
  const double have = cuda_total_memory_bytes(device);
  if (say)
    say("memory plan: " + std::string(kind) + " predicted to peak at " + format_bytes(need) + " of GPU memory" +
        (have > 0 ? " on a device of " + format_bytes(have) : std::string()) + " (irqlora plan shows the terms)");
  if (say && plan.finetune_host_bytes > 0 && finetune)
    say("memory plan: AdamW moments offloaded: " + format_bytes(plan.finetune_host_bytes) + " of host memory");
  if (have > 0 && need > have) {
    std::string hint = "quantize the base, lower --batch / --seq / --rank, or turn on gradient checkpointing";
    if (finetune && !request.optimizer_offload) {  // what offloading the optimizer would make of it
      MemoryPlanRequest offloaded = request;
      offloaded.optimizer_offload = true;
      const double with = plan_memory(offloaded).finetune_bytes;
      hint = "--optimizer-offload would need " + format_bytes(with) + (with <= have ? "; or " : "; also ") + hint;
    }
    throw make_error(ErrorKind::kUnsupported, request.model_dir.string(),
                     std::string(kind) + " needs about " + format_bytes(need) + " but " + device.str() + " has " + format_bytes(have) +
                         " (" + hint + ")");
  }
}

}  // namespace irq
