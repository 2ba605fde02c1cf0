// The LoRA training loop (adapters are added and saved by lora/adapter_io.h).
#include "train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/stopwatch.h"
#include "dist/process_group.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "io/tensor_view.h"
#include "lora/adapter_config.h"
#include "quant/model_quantizer.h"
#include "quant/quantize_model.h"
#include "runtime/cuda_memory.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

// The optimizer holds one flat tensor (see flatten_parameters).
constexpr const char* kOptimizerLayout = "flat-v1";

double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// Target tokens of `rows` as batch_loss counts them (labels shifted by one).
int64_t target_count(const std::vector<TrainExample>& data, const std::vector<size_t>& rows) {
  int64_t n = 0;
  for (size_t i : rows)
    for (size_t t = 1; t < data[i].labels.size(); ++t) n += data[i].labels[t] != -100;
  return n;
}

}  // namespace

Trainer::Trainer(LlamaForCausalLM& model, std::vector<TrainExample> data, TrainConfig config, MetricsSink* sink,
                 DataParallelGroup* group)
    : model_(model), data_(std::move(data)), config_(std::move(config)), sink_(sink), group_(group) {
  if (data_.empty()) throw make_error(ErrorKind::kUsage, "finetune", "no training examples");
  if (config_.batch < 1 || config_.accum < 1 || config_.steps < 1) throw make_error(ErrorKind::kUsage, "finetune", "steps, batch and accum must be >= 1");
  if (config_.schedule != "constant" && config_.schedule != "cosine")
    throw make_error(ErrorKind::kUsage, "finetune", "schedule must be constant or cosine");
  params_ = lora_parameters(model_);
  if (params_.empty()) throw make_error(ErrorKind::kUsage, "finetune", "the model has no LoRA adapters (add_lora first)");
  flatten_parameters();
  FlatAdamWOptions o;
  o.lr = config_.lr;
  o.weight_decay = config_.weight_decay;
  o.offload = config_.optimizer_offload;
  optimizer_ = std::make_unique<FlatAdamW>(flat_, o);
}

// Every trainable tensor (A, B and the IEC scalars of each projection: 4 per
// projection, 896 at 7B shape) becomes a view into one float32 buffer, and
// its gradient a view into one gradient buffer (autograd accumulates into a
// defined .grad in place). AdamW and the clipping norm then run over one
// tensor: a handful of kernels per step instead of ~15 per tensor, which on a
// GPU cost more than the IEC paths themselves. AdamW is elementwise, so the
// updates are the same as per tensor.
void Trainer::flatten_parameters() {
  int64_t total = 0;
  for (const auto& p : params_) total += p.numel();
  const auto opts = params_.front().options().dtype(torch::kFloat32);
  flat_ = torch::empty({total}, opts);
  flat_grad_ = torch::zeros({total}, opts);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& p : params_) {
    const int64_t n = p.numel();
    auto slot = flat_.narrow(0, offset, n).view(p.sizes());
    slot.copy_(p);
    p.set_data(slot);
    p.mutable_grad() = flat_grad_.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
  flat_.set_requires_grad(true);
  flat_.mutable_grad() = flat_grad_;
}

double Trainer::lr_at(int64_t step) const {
  const int64_t warmup = static_cast<int64_t>(std::ceil(config_.warmup_ratio * static_cast<double>(config_.steps)));
  if (step < warmup) return config_.lr * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  if (config_.schedule == "constant") return config_.lr;
  const double progress = static_cast<double>(step - warmup) / static_cast<double>(std::max<int64_t>(1, config_.steps - warmup));
  return config_.lr * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

int Trainer::world() const { return group_ ? group_->world() : 1; }
int Trainer::rank() const { return group_ ? group_->rank() : 0; }

std::vector<size_t> Trainer::next_batch() {
  if (cursor_ >= order_.size()) {
    build_epoch(epoch_);
    cursor_ = 0;
    ++epoch_;
  }
  return order_[cursor_++];
}

// The batches of one epoch: a seeded shuffle, then lengths sorted inside
// megabatches of 50 batches (HF group_by_length). Derived from the seed and
// the epoch alone, so a checkpoint stores only (epoch, cursor). A batch here
// is a global micro-batch: batch x ranks rows (the ranks split it).
void Trainer::build_epoch(int64_t epoch) {
  const size_t batch = static_cast<size_t>(config_.batch) * static_cast<size_t>(world());
  std::vector<size_t> idx(data_.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937_64 rng(config_.seed + static_cast<uint64_t>(epoch));
  std::shuffle(idx.begin(), idx.end(), rng);
  const size_t mega = batch * 50;
  for (size_t m = 0; m < idx.size(); m += mega) {
    const auto end = idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), m + mega));
    std::stable_sort(idx.begin() + static_cast<std::ptrdiff_t>(m), end,
                     [&](size_t a, size_t b) { return data_[a].input_ids.size() > data_[b].input_ids.size(); });
  }
  order_.clear();
  for (size_t b = 0; b < idx.size(); b += batch)
    order_.emplace_back(idx.begin() + static_cast<std::ptrdiff_t>(b),
                        idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), b + batch)));
}

void Trainer::save_checkpoint(const fs::path& dir) const {
  AtomicDir out(dir);
  std::vector<torch::Tensor> keep;
  std::vector<TensorBlob> blobs;
  for (size_t i = 0; i < params_.size(); ++i) {
    keep.push_back(params_[i].detach().to(torch::kCPU, torch::kFloat32).contiguous());
    blobs.push_back({"param." + std::to_string(i), DType::kF32, keep.back().sizes().vec(), keep.back().data_ptr()});
  }
  write_safetensors(out.path() / "trainable.safetensors", blobs);
  optimizer_->save(out.path() / "optimizer.pt");
  const nlohmann::json state = {{"step", step_}, {"epoch", epoch_}, {"cursor", cursor_}, {"params", params_.size()},
                                {"optimizer_layout", kOptimizerLayout},
                                {"losses", losses_}, {"seed", config_.seed}, {"world_size", world()},
                                {"global_micro_batch", config_.batch * world()}};
  write_text_atomic(out.path() / "trainer_state.json", state.dump(2) + "\n");
  out.commit();
}

void Trainer::load_checkpoint(const fs::path& dir) {
  const fs::path state_path = dir / "trainer_state.json";
  const auto state = read_json_file(state_path);
  if (state.is_discarded() || !state.is_object() || !state.contains("step"))
    throw make_error(ErrorKind::kInvalidInput, state_path.string(), "not a finetune checkpoint");
  int64_t step = 0, epoch = 0;
  size_t cursor = 0, params = 0;
  std::vector<double> losses;
  std::string layout;
  try {
    const std::string where = state_path.string();
    step = json_field<int64_t>(state, "step", where);
    epoch = json_field<int64_t>(state, "epoch", where);
    cursor = json_field<size_t>(state, "cursor", where);
    params = json_field<size_t>(state, "params", where);
    losses = json_field<std::vector<double>>(state, "losses", where);
    layout = state.value("optimizer_layout", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, state_path.string(), e.what());
  }
  if (step < 0 || epoch < 0 || static_cast<size_t>(step) != losses.size())
    throw make_error(ErrorKind::kInvalidInput, state_path.string(),
                     "step " + std::to_string(step) + ", epoch " + std::to_string(epoch) + " and " + std::to_string(losses.size()) +
                         " losses do not describe one run");
  if (params != params_.size())
    throw make_error(ErrorKind::kInvalidInput, dir.string(), "was saved with " + std::to_string(params) + " trainable tensors, this run has " +
                                                                 std::to_string(params_.size()) + " (different LoRA settings?)");
  const int64_t micro = state.value("global_micro_batch", int64_t{0});
  if (micro > 0 && micro != config_.batch * world())
    throw make_error(ErrorKind::kInvalidInput, state_path.string(),
                     "was saved with a global micro-batch of " + std::to_string(micro) + " rows (batch x ranks); this run has " +
                         std::to_string(config_.batch) + " x " + std::to_string(world()) + " = " + std::to_string(config_.batch * world()) +
                         ": choose --batch so that batch x ranks = " + std::to_string(micro) + " to resume it");
  if (layout != kOptimizerLayout)
    throw make_error(ErrorKind::kInvalidInput, state_path.string(),
                     "was written by an older version (optimizer state per tensor, not flat); it cannot be resumed");
  const auto file = SafetensorsFile::open(dir / "trainable.safetensors");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto* info = file.find("param." + std::to_string(i));
    if (!info || !params_[i].sizes().equals(info->shape))
      throw make_error(ErrorKind::kInvalidInput, file.path().string(), "tensor param." + std::to_string(i) + " is missing or has another shape");
    params_[i].copy_(tensor_view(file, *info));
  }
  optimizer_->load(dir / "optimizer.pt");
  step_ = step;
  epoch_ = epoch;
  cursor_ = cursor;
  losses_ = std::move(losses);
  order_.clear();
  if (epoch_ > 0) build_epoch(epoch_ - 1);  // the epoch in progress
}

torch::Tensor Trainer::batch_loss(const std::vector<TrainExample>& data, const std::vector<size_t>& rows, int64_t* tokens,
                                  int64_t* targets, bool sum) {
  const auto device = model_->options().device();
  int64_t T = 0;
  for (size_t i : rows) T = std::max<int64_t>(T, static_cast<int64_t>(data[i].input_ids.size()));
  const int64_t B = static_cast<int64_t>(rows.size());
  auto ids = torch::zeros({B, T}, torch::kInt64);
  auto labels = torch::full({B, T}, -100, torch::kInt64);
  auto mask = torch::zeros({B, T}, torch::kBool);
  for (int64_t j = 0; j < B; ++j) {  // right padding
    const auto& e = data[rows[static_cast<size_t>(j)]];
    const int64_t n = static_cast<int64_t>(e.input_ids.size());
    ids[j].narrow(0, 0, n).copy_(torch::tensor(e.input_ids, torch::kInt64));
    labels[j].narrow(0, 0, n).copy_(torch::tensor(e.labels, torch::kInt64));
    mask[j].narrow(0, 0, n).fill_(true);
    *tokens += n;
  }
  auto logits = model_->forward(ids.to(device), nullptr, mask.to(device));  // (B, T, V)
  auto shift_logits = logits.narrow(1, 0, T - 1).reshape({-1, logits.size(-1)}).to(torch::kFloat32);
  auto shift_labels = labels.narrow(1, 1, T - 1).reshape({-1});
  *targets += shift_labels.ne(-100).sum().item<int64_t>();
  auto options = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100);
  if (sum) options.reduction(torch::kSum);
  return torch::nn::functional::cross_entropy(shift_logits, shift_labels.to(device), options);
}

double Trainer::evaluate(const std::vector<TrainExample>& data) {
  if (data.empty()) throw make_error(ErrorKind::kUsage, "finetune", "no evaluation examples");
  const bool was_training = model_->is_training();
  model_->eval();
  torch::NoGradGuard no_grad;
  double loss_sum = 0;
  int64_t tokens = 0, targets = 0;
  for (size_t b = 0; b < data.size(); b += static_cast<size_t>(config_.batch)) {
    std::vector<size_t> rows;
    for (size_t i = b; i < std::min(data.size(), b + static_cast<size_t>(config_.batch)); ++i) rows.push_back(i);
    int64_t batch_targets = 0;
    const double mean = batch_loss(data, rows, &tokens, &batch_targets).item<double>();
    if (batch_targets > 0) loss_sum += mean * static_cast<double>(batch_targets);
    targets += batch_targets;
  }
  if (was_training) model_->train();
  if (targets == 0) throw make_error(ErrorKind::kUsage, "finetune", "the evaluation rows have no target tokens");
  return loss_sum / static_cast<double>(targets);
}

void Trainer::run(int64_t steps, const CancelToken* cancel) {
  const int64_t until = steps > 0 ? steps : config_.steps;
  const auto device = model_->options().device();
  model_->train();
  model_->model->gradient_checkpointing =
      config_.gradient_checkpointing < 0 ? device.is_cuda() : config_.gradient_checkpointing > 0;
  while (step_ < until) {
    if (cancel) cancel->throw_if_cancelled("finetune");
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = lr_at(step_);
    optimizer_->set_lr(lr);
    flat_grad_.zero_();  // in place: the parameters' .grad are views of it
    // LoRA dropout's masks: a function of (seed, step, rank), so a resumed run
    // draws the masks the uninterrupted one drew.
    torch::manual_seed(config_.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(step_) +
                       0xD1B54A32D192ED03ULL * static_cast<uint64_t>(rank()));
    torch::Tensor loss_sum;  // on the device: one host sync per step, not one per micro-batch
    int64_t tokens = 0;
    for (int64_t micro = 0; micro < config_.accum; ++micro) {
      const auto batch = next_batch();
      torch::Tensor loss;
      if (!group_) {
        int64_t targets = 0;
        loss = batch_loss(data_, batch, &tokens, &targets);
        (loss / static_cast<double>(config_.accum)).backward();
      } else {  // this rank's rows; its share of the global micro-batch's mean
        const size_t lo = std::min(batch.size(), static_cast<size_t>(rank() * config_.batch));
        const std::vector<size_t> rows(batch.begin() + static_cast<std::ptrdiff_t>(lo),
                                       batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), lo + static_cast<size_t>(config_.batch))));
        const double global_targets = static_cast<double>(std::max<int64_t>(1, target_count(data_, batch)));
        if (rows.empty()) {
          loss = torch::zeros({}, flat_.options());
        } else {
          int64_t targets = 0;
          loss = batch_loss(data_, rows, &tokens, &targets, /*sum=*/true) / global_targets;
          (loss / static_cast<double>(config_.accum)).backward();
        }
      }
      loss_sum = micro == 0 ? loss.detach().to(torch::kFloat64) : loss_sum + loss.detach();
    }
    double loss_total = 0;
    std::vector<double> rank_tps;
    double allreduce_seconds = 0;
    if (group_) {
      const auto t_reduce = std::chrono::steady_clock::now();
      group_->allreduce_sum(flat_grad_);
      allreduce_seconds = seconds_since(t_reduce);
      // loss, tokens and each rank's tokens/s, summed over the ranks in one all-reduce
      auto stats = torch::zeros({2 + world()}, torch::kFloat64);
      stats[0] = loss_sum.item<double>();
      stats[1] = static_cast<double>(tokens);
      stats[2 + rank()] = static_cast<double>(tokens) / seconds_since(t0);
      auto reduced = stats.to(flat_grad_.device());
      group_->allreduce_sum(reduced);
      stats = reduced.cpu();
      loss_total = stats[0].item<double>();
      tokens = static_cast<int64_t>(stats[1].item<double>());
      for (int r = 0; r < world(); ++r) rank_tps.push_back(stats[2 + r].item<double>());
    } else {
      loss_total = loss_sum.item<double>();
    }
    const double grad_norm = torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{flat_}, config_.max_grad_norm);
    optimizer_->step();
    ++step_;
    if (group_ && config_.dist_check_every > 0 && step_ % config_.dist_check_every == 0) check_replicas();
    TrainMetrics m;
    m.step = step_;
    m.loss = loss_total / static_cast<double>(config_.accum);
    m.lr = lr;
    m.grad_norm = grad_norm;
    m.tokens = tokens;
    m.tokens_per_second = static_cast<double>(tokens) / seconds_since(t0);
    m.rank_tokens_per_second = std::move(rank_tps);
    m.allreduce_seconds = allreduce_seconds;
    m.memory_mb = device.is_cuda() ? cuda_peak_allocated_mb(device) : rss_mb();
    losses_.push_back(m.loss);
    if (sink_) sink_->on_step(m);
  }
  model_->eval();
}

// Every rank's trainable values must be bit-identical after each step (same
// summed gradient, same AdamW): compare their sum and sum of squares with
// rank 0's, all in one all-reduce (each rank fills its own slots; adding
// zeros is exact).
void Trainer::check_replicas() {
  const int w = world(), me = rank();
  auto sums = torch::zeros({2 * w}, torch::kFloat64);
  const auto v = flat_.detach().to(torch::kFloat64);
  sums[me] = v.sum().item<double>();
  sums[w + me] = v.square().sum().item<double>();
  auto reduced = sums.to(flat_grad_.device());
  group_->allreduce_sum(reduced);
  sums = reduced.cpu();
  for (int r = 1; r < w; ++r)
    if (sums[r].item<double>() != sums[0].item<double>() || sums[w + r].item<double>() != sums[w].item<double>())
      throw make_error(ErrorKind::kIo, "data-parallel check at step " + std::to_string(step_),
                       "rank " + std::to_string(r) + "'s trainable values differ from rank 0's (sum " + std::to_string(sums[r].item<double>()) +
                           " vs " + std::to_string(sums[0].item<double>()) + "): the replicas diverged");
}

}  // namespace irq
