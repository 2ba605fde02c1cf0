// Opens a Hugging Face LLaMA-family model directory (config.json,
// safetensors weights, single or sharded, and tokenizer.model) into a
// LlamaForCausalLM on the requested device and dtype. Every failure names the
// file, tensor or field; nothing is half-loaded into the caller's state.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "io/checkpoint.h"
#include "model/llama.h"
#include "text/tokenizer.h"

namespace irq {

struct LoadOptions {
  torch::Device device = torch::kCPU;
  std::optional<torch::ScalarType> dtype;  // default: float32 on CPU, bfloat16 on CUDA
  bool require_tokenizer = false;          // else a missing tokenizer is recorded, not thrown
  ProgressSink* progress = nullptr;
  const CancelToken* cancel = nullptr;
  // HF weight names the loader leaves unread for the caller to fill (the
  // quantize-on-load path, quant/load_quantized.h): never copied, so on the
  // CPU their storage is never touched and costs no resident memory.
  std::vector<std::string> deferred_weights;
};

struct LoadedModel {
  std::filesystem::path dir;
  LlamaConfig config;
  LlamaForCausalLM model{nullptr};
  std::unique_ptr<Tokenizer> tokenizer;  // null when absent (see tokenizer_error)
  std::string tokenizer_error;
  std::map<std::string, std::string> stored_dtypes;  // HF tensor name -> safetensors dtype
  std::vector<std::string> ignored_tensors;          // in the checkpoint, not used by the model
  uint64_t checkpoint_bytes = 0;
  double open_seconds = 0;  // config + header validation + mmap
  double load_seconds = 0;  // copying weights into the model

  const Tokenizer& require_tokenizer() const;  // throws the recorded error
};

LoadedModel load_model(const std::filesystem::path& dir, const LoadOptions& options = {});

// Copies every parameter of `model` from `weights` (dtype-converting, onto the
// parameter's device). Missing tensors and shape mismatches throw naming the
// tensor and file. Returns checkpoint tensors the model does not use.
std::vector<std::string> load_weights(LlamaForCausalLM& model, const CheckpointWeights& weights,
                                      const std::filesystem::path& dir, ProgressSink* progress = nullptr,
                                      const CancelToken* cancel = nullptr, const std::vector<std::string>& deferred = {});

}  // namespace irq
