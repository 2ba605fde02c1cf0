// What a finetune trains and how, as plain torch-free structs: the adapter
// (LoraConfig, lora/lora_config.h) and the optimisation (TrainConfig). Their
// defaults are the engine's one definition of them: the trainer
// (train/trainer.h), the finetune job's request (jobs/finetune_job.h), the
// CLI's option defaults and the workbench's form all read them from here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lora/lora_config.h"

namespace irq {

struct TrainConfig {
  int64_t steps = 100, batch = 4, accum = 1;
  double lr = 2e-4, warmup_ratio = 0, max_grad_norm = 0.3, weight_decay = 0.0;
  std::string schedule = "constant";  // or "cosine"
  int64_t source_max_len = 384, target_max_len = 128;
  uint64_t seed = 42;
  // Recompute decoder layers in the backward pass (less activation memory).
  // -1: on for CUDA, off for CPU.
  int gradient_checkpointing = -1;
  // AdamW's moments in host memory, streamed through the device per step
  // (train/flat_adamw.h): the GPU is spared 8 bytes per trainable value.
  bool optimizer_offload = false;
  // Data parallel (a DataParallelGroup given to the Trainer): every this many
  // steps the ranks compare a checksum of the trainable values (0: never).
  int64_t dist_check_every = 0;
};

}  // namespace irq
