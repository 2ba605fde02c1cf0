// Predicted peak GPU memory (CUDA caching allocator, CUDA context excluded)
// of a finetune and of MMLU evaluation, from config.json alone: the frozen
// base as the engine stores it (the quantized formats' exact byte layout,
// quant_checkpoint.h; other tensors in the compute dtype), one projection
// dequantized at a time, the adapters with their gradients and AdamW state
// (float32, as the trainer keeps them; the moments optionally in host
// memory, streamed in chunks), activations with or without layer
// checkpointing, logits and loss, and the KV cache of evaluation.
// Torch-free: the CLI prints it before it starts (`irqlora plan`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace irq {

struct MemoryPlanRequest {
  std::filesystem::path model_dir;
  std::string quant;          // "" = full-precision base; nf4, int2, int3, int4, int8
  int64_t quant_group = 64;
  bool icq = true;
  int64_t rank = 64;
  bool iec = true;
  std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  int64_t batch = 4;
  int64_t seq = 512;          // tokens per training sequence
  bool checkpointing = true;
  bool optimizer_offload = false;  // AdamW moments in host memory (train/flat_adamw.h)
  int dtype_bytes = 2;        // compute dtype of the frozen base (bfloat16 on CUDA)
  int64_t eval_batch = 16;    // MMLU suffixes per batch on CUDA
  int64_t eval_seq = 0;       // 0: min(2048, max_position_embeddings)
};

struct MemoryItem {
  std::string what;
  double bytes = 0;
};

struct MemoryPlan {
  std::vector<MemoryItem> finetune, eval;
  double finetune_bytes = 0, eval_bytes = 0;
  std::vector<MemoryItem> finetune_host;  // host memory the finetune adds (offloaded optimizer state)
  double finetune_host_bytes = 0;
  int64_t base_params = 0, adapter_params = 0;
};

// Throws Error naming config.json for a bad config, kUsage for bad settings.
MemoryPlan plan_memory(const MemoryPlanRequest& request);
std::string format_bytes(double bytes);  // "36.41 GiB"

}  // namespace irq
