// AdamW over the trainer's one flat buffer of trainable values, with its two
// moments either beside the parameters (on the device) or offloaded to host
// memory (pinned when the parameters are on CUDA) and streamed through the
// device in fixed-size chunks: the GPU then holds a few chunk buffers instead
// of 8 bytes per trainable value. That is what the reference recipe's
// paged_adamw_32bit (bitsandbytes' paged optimizers) does under memory
// pressure and what ZeRO-Offload does always; at 70B shape with rank 64 the
// moments are 6.2 GiB of GPU memory.
// The update is op for op torch::optim::AdamW's (torch/csrc/api/src/optim/
// adamw.cpp): elementwise, so chunking does not change it, and the offloaded
// update equals torch's bit for bit (test_flat_adamw). The state is held in a
// torch::optim::AdamW in both modes, so optimizer.pt is the same file either
// way, and a checkpoint resumes with or without offload, on either device.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "train/offload_layout.h"

namespace irq {

struct FlatAdamWOptions {
  double lr = 2e-4, weight_decay = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool offload = false;               // moments in host memory
  int64_t chunk = kOffloadChunk;      // values per streamed chunk
};

class FlatAdamW {
 public:
  // flat: (N) float32 trainable values; its .grad() is the gradient buffer.
  FlatAdamW(torch::Tensor flat, FlatAdamWOptions options);
  void set_lr(double lr) { options_.lr = lr; }
  void step();
  bool offloaded() const { return options_.offload; }
  // optimizer.pt (torch::save of a torch::optim::AdamW over one tensor).
  void save(const std::filesystem::path& file) const;
  void load(const std::filesystem::path& file);

 private:
  torch::optim::AdamWParamState& state();  // created (zero moments) on first use
  void place_state(const std::string& where);  // moments where this mode keeps them; where: for errors
  torch::Tensor flat_;                      // (N) on the model's device
  torch::Tensor anchor_;                    // (N) host, never written: the key of the offloaded state
  FlatAdamWOptions options_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

}  // namespace irq
