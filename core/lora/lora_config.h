// The adapter a finetune adds, as a plain torch-free struct: LoRA rank and
// alpha, IEC on/off, dropout, QA-LoRA's group, the target projections and
// the init seed. Its defaults are the engine's one definition of them (the
// CLI's option defaults and the workbench's form read them).
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

}  // namespace irq
