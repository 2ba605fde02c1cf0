// Deterministic synthetic demo checkpoint (see demo_model.h).
#include "demo/demo_model.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "io/json_file.h"
#include "io/safetensors_writer.h"
#include "model/llama_config.h"
#include "text/sentencepiece_tokenizer.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

// splitmix64 + Box-Muller: identical numbers on every platform and build.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  double normal() { return std::sqrt(-2.0 * std::log(unit())) * std::cos(2.0 * M_PI * unit()); }
};

uint16_t to_bf16(float f) {  // round to nearest even
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

struct Tensor16 {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<uint16_t> data;
};

// Rows with log-normal scales; 1% of entries drawn 6x wider (outliers).
Tensor16 weight(Rng& rng, const std::string& name, int64_t rows, int64_t cols, double std) {
  Tensor16 t{name, {rows, cols}, std::vector<uint16_t>(static_cast<size_t>(rows * cols))};
  for (int64_t r = 0; r < rows; ++r) {
    const double row_scale = std * std::exp(0.3 * rng.normal());
    for (int64_t c = 0; c < cols; ++c) {
      double z = rng.normal();
      if (rng.unit() < 0.01) z *= 6.0;
      t.data[static_cast<size_t>(r * cols + c)] = to_bf16(static_cast<float>(row_scale * z));
    }
  }
  return t;
}

Tensor16 norm_weight(Rng& rng, const std::string& name, int64_t n) {
  Tensor16 t{name, {n}, std::vector<uint16_t>(static_cast<size_t>(n))};
  for (auto& v : t.data) v = to_bf16(static_cast<float>(1.0 + 0.1 * rng.normal()));
  return t;
}

LlamaConfig demo_config(const DemoSpec& s, int64_t vocab) {
  LlamaConfig c;
  c.hidden_size = s.hidden_size;
  c.intermediate_size = s.intermediate_size;
  c.num_attention_heads = s.num_heads;
  c.num_key_value_heads = s.num_kv_heads;
  c.head_dim = s.hidden_size / s.num_heads;
  c.num_hidden_layers = s.num_layers;
  c.vocab_size = vocab;
  c.max_position_embeddings = s.max_positions;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = true;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  c.torch_dtype = "bfloat16";
  return c;
}

}  // namespace

void write_demo_model(const fs::path& dir, const DemoSpec& spec) {
  const auto tokenizer = SentencePieceTokenizer::from_bytes(demo_tokenizer_bytes(), "demo tokenizer");
  const LlamaConfig config = demo_config(spec, tokenizer->vocab_size());
  Rng rng{spec.seed};
  const int64_t C = config.hidden_size, F = config.intermediate_size;
  const double proj_std = 1.0 / std::sqrt(static_cast<double>(C));
  std::vector<Tensor16> tensors;
  tensors.push_back(weight(rng, "model.embed_tokens.weight", config.vocab_size, C, 0.5));
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    tensors.push_back(norm_weight(rng, p + "input_layernorm.weight", C));
    tensors.push_back(weight(rng, p + "self_attn.q_proj.weight", config.q_dim(), C, proj_std));
    tensors.push_back(weight(rng, p + "self_attn.k_proj.weight", config.kv_dim(), C, proj_std));
    tensors.push_back(weight(rng, p + "self_attn.v_proj.weight", config.kv_dim(), C, proj_std));
    tensors.push_back(weight(rng, p + "self_attn.o_proj.weight", C, config.q_dim(), proj_std));
    tensors.push_back(norm_weight(rng, p + "post_attention_layernorm.weight", C));
    tensors.push_back(weight(rng, p + "mlp.gate_proj.weight", F, C, proj_std));
    tensors.push_back(weight(rng, p + "mlp.up_proj.weight", F, C, proj_std));
    tensors.push_back(weight(rng, p + "mlp.down_proj.weight", C, F, 1.0 / std::sqrt(static_cast<double>(F))));
  }
  tensors.push_back(norm_weight(rng, "model.norm.weight", C));

  AtomicDir out(dir);
  const fs::path& tmp = out.path();
  std::vector<TensorBlob> blobs;
  for (const auto& t : tensors) blobs.push_back({t.name, DType::kBF16, t.shape, t.data.data()});
  write_safetensors(tmp / "model.safetensors", blobs, {{"format", "pt"}});
  write_text_atomic(tmp / "config.json", config.to_json().dump(2) + "\n");
  write_text_atomic(tmp / "tokenizer.model", demo_tokenizer_bytes());
  const nlohmann::json tok_config = {{"tokenizer_class", "LlamaTokenizer"}, {"add_bos_token", true},
                                     {"add_eos_token", false},            {"bos_token", "<s>"},
                                     {"eos_token", "</s>"},               {"unk_token", "<unk>"},
                                     {"legacy", true},                    {"model_max_length", spec.max_positions}};
  write_text_atomic(tmp / "tokenizer_config.json", tok_config.dump(2) + "\n");
  const nlohmann::json stamp = {{"generator", "irqlora demo"}, {"version", kDemoModelVersion}, {"seed", spec.seed},
                                {"synthetic", true},
                                {"note", "Synthetic weights from a fixed seed, not trained: generated text is gibberish."}};
  write_text_atomic(tmp / "irqlora_demo.json", stamp.dump(2) + "\n");
  out.commit();
}

fs::path default_demo_dir() {
  if (const char* d = std::getenv("IRQ_DEMO_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "irqlora" / "demo-model";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local" / "share" / "irqlora" / "demo-model";
  return fs::temp_directory_path() / "irqlora-demo-model";
}

namespace {

// Whether DIR holds the demo model of this version: its stamp read with a
// small bound; a stamp that is missing, not JSON, too big, of another version
// or not a file at all means "write the model again", never an error.
bool current_demo_model(const fs::path& dir) {
  JsonLimits limits;
  limits.max_bytes = 64 << 10;
  limits.max_depth = 4;
  try {
    const auto stamp = read_json_file(dir / "irqlora_demo.json", limits);
    const auto it = stamp.is_object() ? stamp.find("version") : stamp.end();
    return it != stamp.end() && it->is_number_integer() && it->get<int64_t>() == kDemoModelVersion &&
           fs::is_regular_file(dir / "model.safetensors");
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

fs::path ensure_demo_model(const fs::path& dir) {
  if (!current_demo_model(dir)) write_demo_model(dir);
  return dir;
}

}  // namespace irq
