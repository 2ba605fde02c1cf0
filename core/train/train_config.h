// What a finetune trains and how, as plain torch-free structs: the adapter
// (LoraConfig) and the optimisation (TrainConfig). Their defaults are the
// engine's one definition of them: the trainer (train/trainer.h), the
// finetune job's request (jobs/finetune_job.h), the CLI's option defaults
// and the workbench's form all read them from here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace irq {

struct LoraConfig {
  int64_t rank = 64;
  double alpha = 16;
  bool iec = true;
  double dropout = 0;  // on lora_A's input while training (peft lora_dropout)
  // QA-LoRA: lora_A reads the sums of groups of this many input columns, the
  // INT base's group size, so that the trained adapter merges exactly into
  // the base's zero points (export --format irq --merge-adapter); 0 = LoRA.
  int64_t qa_group = 0;
  std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  uint64_t seed = 0;
};

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
