// Plain-data description of a loaded model for front ends (CLI `info`, the
// GUI's model browser): the module tree with kinds, weight shapes, stored
// dtypes and parameter counts. Holds no tensors, so it crosses threads freely.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace irq {

struct LoadedModel;

struct ModuleNode {
  std::string name;        // HF path, e.g. "model.layers.0.self_attn.q_proj"; "" for the root
  std::string short_name;  // last path component, e.g. "q_proj"
  std::string kind;        // "Linear", "RMSNorm", "Embedding", "LlamaAttention", ...
  std::vector<int64_t> weight_shape;  // leaves with a weight
  std::string dtype;                  // the weight's dtype in the checkpoint ("BF16", ...)
  bool tied = false;                  // weight shared with another module
  int64_t params = 0;                 // this subtree, shared tensors counted once overall
  std::vector<ModuleNode> children;
};

struct ModelSummary {
  std::string dir;
  std::string architecture;
  int64_t num_layers = 0;
  int64_t total_params = 0;   // unique tensors
  int64_t linear_params = 0;  // decoder projections (the ones quantized)
  int64_t num_tensors = 0;    // in the checkpoint
  uint64_t checkpoint_bytes = 0;
  std::map<std::string, int64_t> stored_dtype_params;  // e.g. {"BF16": 3.1e6}
  std::string tokenizer;      // "sentencepiece (512 tokens)" or why it is missing
  std::string compute_dtype;  // of the loaded parameters
  std::string device;
  std::vector<std::string> ignored_tensors;  // in the checkpoint, unused by the model
  double load_seconds = 0;
  ModuleNode root;
};

ModelSummary summarize(const LoadedModel& model);

// "3.15M", "6.74B": human units for parameter counts.
std::string format_count(int64_t n);
std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace irq
