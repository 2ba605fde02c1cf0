// LoRA / IEC-LoRA finetuning over a frozen (quantized or full-precision)
// base, as QLoRA/IR-QLoRA train: AdamW (weight decay 0), constant LR
// (optional linear warmup, as HF's constant_with_warmup; cosine optional),
// gradient clipping, gradient accumulation, length-grouped batches with right
// padding, loss on target tokens only, seeded. Metrics go to a sink each step.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/progress.h"
#include "model/model_loader.h"
#include "train/alpaca_data.h"
#include "train/flat_adamw.h"
#include "lora/adapter_io.h"
#include "train/train_config.h"

namespace irq {

class DataParallelGroup;

struct TrainMetrics {
  int64_t step = 0;  // 1-based optimizer step
  double loss = 0, lr = 0, grad_norm = 0, tokens_per_second = 0, memory_mb = 0;
  int64_t tokens = 0;  // tokens (padding excluded) this step trained on, all ranks
  std::vector<double> rank_tokens_per_second;  // data parallel: each rank's own; empty otherwise
  double allreduce_seconds = 0;                // data parallel: this rank's gradient all-reduce
};

class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void on_step(const TrainMetrics& m) = 0;
};

// Data parallel (`group` given; dist/process_group.h): each rank holds the
// same model and adapters and builds the same epoch order in global
// micro-batches of batch x ranks rows; rank r trains on rows [r*batch,
// (r+1)*batch) of each. Its loss is its rows' summed cross-entropy over the
// whole global micro-batch's target tokens, so the gradients summed over the
// ranks (bucketed all-reduce of the flat gradient, once per optimizer step,
// after the last micro-batch) are exactly the single-process gradient of the
// global batch; clipping and AdamW then run identically on every rank. A
// global micro-batch (the last of an epoch) may leave a rank no rows: it
// still takes part in the all-reduce. LoRA dropout draws per rank.
class Trainer {
 public:
  Trainer(LlamaForCausalLM& model, std::vector<TrainExample> data, TrainConfig config, MetricsSink* sink = nullptr,
          DataParallelGroup* group = nullptr);
  // Runs optimizer steps until `steps` (the config's when 0) or cancel.
  void run(int64_t steps = 0, const CancelToken* cancel = nullptr);
  int64_t step() const { return step_; }
  double lr_at(int64_t step) const;  // the schedule, step 0-based
  const std::vector<double>& losses() const { return losses_; }
  // Mean cross-entropy per target token over `data` (held-out rows), batches
  // of the training batch size, no gradient, dropout off.
  double evaluate(const std::vector<TrainExample>& data);

  // Checkpoint: LoRA/IEC tensors (safetensors), AdamW state, step and data
  // position, written to a temporary folder renamed into `dir`. Resuming
  // continues the loss trajectory of an uninterrupted run, with any number of
  // ranks whose batch x ranks equals the saved global micro-batch (data
  // parallel: rank 0 saves; every rank loads).
  void save_checkpoint(const std::filesystem::path& dir) const;
  void load_checkpoint(const std::filesystem::path& dir);

 private:
  std::vector<size_t> next_batch();
  // Mean target-token cross-entropy of rows `rows` of `data` (right-padded
  // batch), with the graph when grad mode is on; counts the batch's tokens
  // and its target tokens.
  torch::Tensor batch_loss(const std::vector<TrainExample>& data, const std::vector<size_t>& rows, int64_t* tokens,
                           int64_t* targets, bool sum = false);
  int world() const;
  int rank() const;
  void check_replicas();
  void flatten_parameters();
  void build_epoch(int64_t epoch);
  LlamaForCausalLM model_;
  std::vector<TrainExample> data_;
  TrainConfig config_;
  MetricsSink* sink_;
  DataParallelGroup* group_;
  std::vector<torch::Tensor> params_;  // views into flat_
  torch::Tensor flat_, flat_grad_;      // every trainable value, and its gradient
  std::unique_ptr<FlatAdamW> optimizer_;
  std::vector<std::vector<size_t>> order_;  // batches of the current epoch
  size_t cursor_ = 0;
  int64_t epoch_ = 0, step_ = 0;  // epoch_: epochs started
  std::vector<double> losses_;
};

}  // namespace irq
