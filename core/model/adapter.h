// A trainable adapter beside a Linear's frozen base: an interface the model
// calls and core/lora implements (lora/lora_adapter.h: LoRA, IEC-LoRA,
// QA-LoRA), so that core/model never includes core/lora. The adapter
// registers its parameters on the host module under the names it saves
// (peft's "lora_A.weight", ...), so the model's parameter names are the
// checkpoint's.
#pragma once

#include <torch/types.h>

namespace irq {

struct Adapter {
  virtual ~Adapter() = default;
  // Added to the base's output: x (..., in) -> (..., out). training: the
  // host module's mode (dropout applies only then).
  virtual torch::Tensor delta(const torch::Tensor& x, bool training) const = 0;
};

}  // namespace irq
