// A finetune run, the engine's one path for it: `irqlora finetune`, the
// workbench's Finetune tab, the ablation experiment and remote jobs' command
// lines all build a FinetuneRequest (torch-free, its defaults those of
// train/train_config.h) and call run_finetune: the memory plan checked
// against the device, the base loaded (quantized on load, so the
// full-precision model never exists), LoRA / IEC-LoRA added, Alpaca data
// tokenized with an optional held-out split, training with checkpoints
// every N steps, resume from the latest one, held-out evaluation, the
// adapter saved, and everything recorded in the runs database. A
// data-parallel rank passes its process group; rank 0 alone reports,
// records and writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "jobs/run_events.h"
#include "quant/quant_settings.h"
#include "train/train_config.h"

namespace irq {

class DataParallelGroup;

struct FinetuneRequest {
  std::filesystem::path model_dir;  // empty: not set
  std::filesystem::path data_file;  // Alpaca JSON / JSONL
  std::filesystem::path out_dir;    // OUT/checkpoint-N and OUT/adapter
  std::filesystem::path db_path;    // runs database; empty: do not record
  std::string device = "auto";      // cpu, cuda, cuda:N, auto
  std::string dtype;                // "" float32 on the CPU, bfloat16 on CUDA; else float32, bfloat16, float16
  // The frozen base.
  std::string quant;                // "" full precision, else nf4, int2, int3, int4, int8
  int64_t quant_group = 64;         // NF4 block / INT group (0: per channel)
  bool icq = true;
  GptqSettings gptq;                // INT by GPTQ
  bool qa_lora = false;             // QA-LoRA over the INT base's groups (sets lora.qa_group)
  // The adapter and the optimisation; lora.seed follows train.seed.
  LoraConfig lora;
  TrainConfig train;
  // Held-out rows (as datasets' train_test_split(seed=42)); evaluated on the
  // first eval_rows of them (0: all) every eval_every steps and at the end.
  int64_t holdout = 0, eval_rows = 0, eval_every = 0;
  int64_t save_every = 0;           // OUT/checkpoint-N every N steps (0: at the end only)
  bool resume = false;              // continue from the latest OUT/checkpoint-N
  bool tf32 = false;                // float32 matmuls in TF32 on CUDA
  std::string recipe;               // recorded: the preset whose values the front end applied ("" none)
  std::string front_end = "cli";    // recorded in the run's config
  // Data-parallel ranks on this machine; more than one runs through the
  // irqlora CLI (`finetune --nproc N`), which starts the ranks, each of which
  // calls run_finetune with its process group.
  int nproc = 1;
};

struct FinetunePoint {
  int64_t step = 0, steps = 0;
  double loss = 0, lr = 0, grad_norm = 0, tokens_per_second = 0, memory_mb = 0;  // tokens/s: all ranks
  int64_t tokens = 0;                          // tokens trained on this step, all ranks
  std::vector<double> rank_tokens_per_second;  // data parallel: each rank's; empty otherwise
  // As recorded in the runs database (and streamed by the CLI's --progress jsonl).
  std::map<std::string, double> values() const;
  // The inverse, for a run followed through those events (a remote job):
  // nullopt for a row without "loss" (a held-out evaluation's).
  static std::optional<FinetunePoint> from_values(int64_t step, int64_t steps, const std::map<std::string, double>& v);
};

// What a run reports while it works, all optional, called on the calling
// (worker) thread; a data-parallel rank other than 0 reports nothing. `run`:
// the run's id, lines (memory plan, the work's size, the base's
// quantization, resume, held-out losses), every metric row (each step's,
// "eval_loss") and artifact ("checkpoint", "adapter") as recorded.
struct FinetuneEvents {
  RunEvents run;
  ProgressSink* load_progress = nullptr;  // the model's loading
  std::function<void(const FinetunePoint&)> on_step;
};

struct FinetuneOutcome {
  int64_t run_id = -1;  // -1 when not recorded
  std::filesystem::path adapter;
  std::vector<FinetunePoint> points;  // the steps this process ran
  std::vector<double> losses;         // the trainer's loss per step (after a resume: the steps run here)
  int64_t steps_done = 0;
  std::string device;
};

// The request's problems, each starting with its field's name ("lora.rank:
// must be at least 1"); empty when it can run.
std::vector<std::string> validate(const FinetuneRequest& r);

// Runs the request. Throws irq::Error: kUsage with every problem of
// validate(), kCancelled when `cancel` fired, kUnsupported when the memory
// plan exceeds the GPU. `group`: this process's data-parallel group (a rank
// of `finetune --nproc`, torchrun or srun), null otherwise.
FinetuneOutcome run_finetune(const FinetuneRequest& r, const FinetuneEvents& events = {}, const CancelToken* cancel = nullptr,
                             DataParallelGroup* group = nullptr);

// The `irqlora finetune` arguments that run this request (remote jobs,
// jobs/remote_job.h; data-parallel ranks): every field but db_path (the CLI
// there records into its own database; the local record is the remote job's).
std::vector<std::string> finetune_cli_args(const FinetuneRequest& r);

// Whether a CUDA device can be used, and its name ("" when none); how many.
bool cuda_device_available();
int cuda_device_count();
std::string cuda_device_name();

}  // namespace irq
