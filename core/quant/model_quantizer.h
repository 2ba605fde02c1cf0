// Quantizes every decoder linear projection of a checkpoint, streaming: one
// weight is read from the memory-mapped safetensors (converted to float32),
// quantized and handed to a sink before the next is read, so memory holds a
// few layers at most. Reports progress per tensor and polls a cancel token.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/progress.h"
#include "quant/quant_stats.h"
#include "quant/quantized_tensor.h"

namespace irq {

struct LlamaConfig;

struct ModelQuantOptions {
  QuantSettings settings;
  // Projection short names to quantize.
  std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  bool keep_block_histograms = false;
  // Keep the per-block statistics (entropy, tau, error... of every block:
  // ~28 bytes a block, 0.4 GB at 1.1B parameters); off, only the layer and
  // model figures remain (quantize on load needs no more).
  bool keep_block_stats = true;
  // Run the format's GPU quantizer where it has one (quantize_cuda: the
  // weight goes to the current CUDA device in its stored dtype and stays
  // there; same result as the CPU's, bit for bit; checked by
  // irqlora-check-cuda and irqlora-bench-nf4-cuda).
  bool use_cuda = false;
  int cuda_device = 0;  // its index, for weights read from the checkpoint
  ProgressSink* progress = nullptr;
  const CancelToken* cancel = nullptr;
};

// The decoder projections ("q_proj", ..., "down_proj"): the only targets.
const std::vector<std::string>& projection_names();
// Throws Error(kind) naming `source` and the first unknown target.
void check_projection_names(const std::vector<std::string>& targets, const std::string& source,
                            ErrorKind kind = ErrorKind::kInvalidInput);

// HF names of the targeted projection weights, layer by layer. Throws
// Error(kUsage) for a target that is not a projection name.
std::vector<std::string> quantizable_weights(const LlamaConfig& config, const std::vector<std::string>& targets);

// sink(name, quantized, stats) for every target; returns the model summary
// (layers in order). Throws Error naming the tensor on bad weights.
using QuantSink = std::function<void(const std::string& name, QuantizedTensor&& q, const LayerQuantStats& stats)>;
ModelQuantStats quantize_checkpoint(const std::filesystem::path& dir, const ModelQuantOptions& options,
                                    const QuantSink& sink = {});

// "q,k,v,o,gate,up,down" or "all" -> projection names; throws Error(kUsage).
std::vector<std::string> parse_targets(const std::string& list);

}  // namespace irq
