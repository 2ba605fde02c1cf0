// config.json of LLaMA-family checkpoints (LlamaForCausalLM, MistralForCausalLM,
// Qwen2ForCausalLM, Qwen3ForCausalLM; SmolLM/SmolLM2 are LlamaForCausalLM), parsed and validated with errors that name the file and
// the field. Field names and defaults follow transformers' LlamaConfig.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace irq {

struct RopeScaling {
  std::string rope_type = "default";  // "default", "linear", "dynamic", "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;         // llama3
  double high_freq_factor = 4.0;        // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
};

struct LlamaConfig {
  std::string architecture = "LlamaForCausalLM";
  std::string model_type = "llama";
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads unless given
  int64_t num_hidden_layers = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  std::optional<RopeScaling> rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q,k,v,o biases (llama); qwen2 has q,k,v only
  bool o_proj_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;  // qwen3: RMSNorm over head_dim of each query and key head, before RoPE
  std::optional<int64_t> sliding_window;  // mistral
  int64_t bos_token_id = 1;
  std::vector<int64_t> eos_token_ids = {2};
  std::string torch_dtype = "float32";

  // Throws Error(kInvalidInput / kUnsupported / kNotFound) naming `path` and the field.
  static LlamaConfig from_file(const std::filesystem::path& path);
  static LlamaConfig from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;  // HF spelling, loadable by transformers

  int64_t num_kv_groups() const { return num_attention_heads / num_key_value_heads; }
  int64_t q_dim() const { return num_attention_heads * head_dim; }
  int64_t kv_dim() const { return num_key_value_heads * head_dim; }
};

}  // namespace irq
