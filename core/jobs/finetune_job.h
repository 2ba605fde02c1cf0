// A whole finetune run behind a torch-free interface, for front ends that
// must not include LibTorch (the Qt workbench): load the model on the chosen
// device, quantize the base (optional), add LoRA / IEC-LoRA, train on Alpaca
// data with per-step metrics, save the adapter, and record the run (config,
// metrics, artifact, status) in the runs database. Same engine calls as
// `irqlora finetune`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "quant/quant_settings.h"

namespace irq {

struct FinetuneRequest {
  std::filesystem::path model_dir;  // empty: not set
  std::filesystem::path data_file;  // Alpaca JSON / JSONL
  std::filesystem::path out_dir;    // the adapter goes to out_dir/adapter
  std::filesystem::path db_path;    // runs database; empty: do not record
  std::string quant;                // "" full-precision base, else nf4, int2, int3, int4, int8
  int64_t quant_group = 64;         // NF4 block / INT group (0: per channel)
  GptqSettings gptq;                // INT with GPTQ
  bool qa_lora = false;             // QA-LoRA over the INT base's groups (trainer.h LoraConfig::qa_group)
  bool icq = true, iec = true;
  int64_t rank = 8, steps = 100, batch = 4, accum = 1;
  double alpha = 16, lr = 2e-4;
  std::string device = "auto";      // cpu, cuda, cuda:N, auto
  uint64_t seed = 42;
  // Data-parallel ranks on this machine (one GPU each on CUDA, Gloo on the
  // CPU), batch per rank. More than one runs through the irqlora CLI
  // (`finetune --nproc N`, a remote job on this machine): run_finetune
  // itself runs one process.
  int nproc = 1;
};

struct FinetunePoint {
  int64_t step = 0, steps = 0;
  double loss = 0, lr = 0, grad_norm = 0, tokens_per_second = 0, memory_mb = 0;  // tokens/s: all ranks
  std::vector<double> rank_tokens_per_second;  // data parallel: each rank's; empty otherwise
};

struct FinetuneOutcome {
  int64_t run_id = -1;  // -1 when not recorded
  std::filesystem::path adapter;
  std::vector<FinetunePoint> points;
  std::string device;
};

// The request's problems in words (empty when it can run): missing files,
// non-positive sizes, unknown quantization or device names.
std::vector<std::string> validate(const FinetuneRequest& r);

// Runs the request; on_step is called from the calling (worker) thread after
// every optimizer step. Throws irq::Error (kCancelled when `cancel` fired).
FinetuneOutcome run_finetune(const FinetuneRequest& r, const std::function<void(const FinetunePoint&)>& on_step,
                             const CancelToken* cancel = nullptr);

// The `irqlora finetune` arguments that run this request (for a remote job,
// jobs/remote_job.h): every field but db_path (the CLI there records into its
// own database; the local record is the remote job's).
std::vector<std::string> finetune_cli_args(const FinetuneRequest& r);

// Whether a CUDA device can be used, and its name ("" when none); how many.
bool cuda_device_available();
int cuda_device_count();
std::string cuda_device_name();

}  // namespace irq
