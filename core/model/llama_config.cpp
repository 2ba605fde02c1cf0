// Parsing and validation of LLaMA-family config.json.
#include "model/llama_config.h"

#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/json_file.h"

namespace irq {

namespace {

// Sizes beyond any released model by orders of magnitude (the largest has
// hidden 16384, 126 layers, vocab 256000): a bigger value is a broken file, and
// refusing it here keeps it from reaching the allocator.
constexpr int64_t kMaxConfigInt = int64_t{1} << 24;
// Elements of the largest single matrix (vocab x hidden or hidden x
// intermediate): 2^34 is 64 GiB of float32, 8x the biggest released.
constexpr int64_t kMaxMatrixElements = int64_t{1} << 34;

std::string wide_to_string(__int128 v) {  // v >= 0
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  return out;
}

struct Reader {
  const nlohmann::json& j;
  const std::string& source;

  // A value as it appears in the file, cut short for an error message.
  static std::string short_dump(const nlohmann::json& v) {
    std::string d = v.dump();
    return d.size() > 64 ? d.substr(0, 61) + "..." : d;
  }
  Error bad(const std::string& field, const std::string& what) const {
    return make_error(ErrorKind::kInvalidInput, source, "field '" + field + "' " + what);
  }
  bool has(const char* f) const { return j.contains(f) && !j.at(f).is_null(); }

  int64_t positive_int(const char* f) const {
    if (!has(f)) throw make_error(ErrorKind::kInvalidInput, source, std::string("missing required field '") + f + "'");
    return positive_int_value(f, j.at(f));
  }
  int64_t positive_int_value(const std::string& f, const nlohmann::json& v) const {
    if (!v.is_number_integer()) throw bad(f, "must be an integer, found " + short_dump(v));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMaxConfigInt))
      throw bad(f, "= " + short_dump(v) + " is over the limit of " + std::to_string(kMaxConfigInt));
    if (v.get<int64_t>() <= 0) throw bad(f, "must be positive, found " + short_dump(v));
    if (v.get<int64_t>() > kMaxConfigInt) throw bad(f, "= " + short_dump(v) + " is over the limit of " + std::to_string(kMaxConfigInt));
    return v.get<int64_t>();
  }
  int64_t int_or(const char* f, int64_t fallback) const { return has(f) ? positive_int(f) : fallback; }
  double positive_number_or(const char* f, double fallback) const {
    if (!has(f)) return fallback;
    const auto& v = j.at(f);
    if (!v.is_number()) throw bad(f, "must be a number, found " + v.dump());
    if (!(v.get<double>() > 0)) throw bad(f, "must be positive, found " + v.dump());
    return v.get<double>();
  }
  bool bool_or(const char* f, bool fallback) const {
    if (!has(f)) return fallback;
    if (!j.at(f).is_boolean()) throw bad(f, "must be true or false, found " + j.at(f).dump());
    return j.at(f).get<bool>();
  }
};

RopeScaling parse_rope_scaling(const nlohmann::json& r, const std::string& source) {
  Reader rd{r, source};
  if (!r.is_object()) throw rd.bad("rope_scaling", "must be an object or null");
  RopeScaling s;
  const char* key = r.contains("rope_type") ? "rope_type" : "type";
  if (!r.contains(key) || !r.at(key).is_string()) throw rd.bad("rope_scaling", "has no \"rope_type\"");
  s.rope_type = r.at(key).get<std::string>();
  if (s.rope_type != "default" && s.rope_type != "linear" && s.rope_type != "dynamic" && s.rope_type != "llama3")
    throw make_error(ErrorKind::kUnsupported, source,
                     "rope_scaling type '" + s.rope_type + "' is not supported (default, linear, dynamic, llama3)");
  s.factor = rd.positive_number_or("factor", 1.0);
  s.low_freq_factor = rd.positive_number_or("low_freq_factor", 1.0);
  s.high_freq_factor = rd.positive_number_or("high_freq_factor", 4.0);
  s.original_max_position_embeddings = rd.int_or("original_max_position_embeddings", 8192);
  if (s.rope_type == "llama3" && !(s.high_freq_factor > s.low_freq_factor))
    throw rd.bad("rope_scaling.high_freq_factor", "must exceed low_freq_factor");
  return s;
}

std::vector<int64_t> parse_eos(const Reader& rd) {
  if (!rd.has("eos_token_id")) return {2};
  const auto& v = rd.j.at("eos_token_id");
  std::vector<int64_t> ids;
  if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_number_integer() || e.get<int64_t>() < 0) throw rd.bad("eos_token_id", "must hold token ids, found " + v.dump());
      ids.push_back(e.get<int64_t>());
    }
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    ids.push_back(v.get<int64_t>());
  } else {
    throw rd.bad("eos_token_id", "must be a token id or a list of them, found " + v.dump());
  }
  return ids;
}

}  // namespace

LlamaConfig LlamaConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_json_file(path), path.string());
}

LlamaConfig LlamaConfig::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw make_error(ErrorKind::kInvalidInput, source, "not a JSON object");
  Reader rd{j, source};
  LlamaConfig c;
  if (rd.has("architectures")) {
    const auto& a = j.at("architectures");
    if (!a.is_array() || a.empty() || !a.at(0).is_string()) throw rd.bad("architectures", "must be a list of names");
    c.architecture = a.at(0).get<std::string>();
  }
  if (rd.has("model_type")) {
    if (!j.at("model_type").is_string()) throw rd.bad("model_type", "must be a string");
    c.model_type = j.at("model_type").get<std::string>();
  }
  const bool llama = c.architecture == "LlamaForCausalLM" && c.model_type == "llama";
  const bool mistral = c.architecture == "MistralForCausalLM" && c.model_type == "mistral";
  const bool qwen2 = c.architecture == "Qwen2ForCausalLM" && c.model_type == "qwen2";
  const bool qwen3 = c.architecture == "Qwen3ForCausalLM" && c.model_type == "qwen3";
  if (!llama && !mistral && !qwen2 && !qwen3)
    throw make_error(ErrorKind::kUnsupported, source,
                     "architecture '" + c.architecture + "' (model_type '" + c.model_type +
                         "') is not supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM are");
  c.qk_norm = qwen3;

  c.hidden_size = rd.positive_int("hidden_size");
  c.intermediate_size = rd.positive_int("intermediate_size");
  c.num_attention_heads = rd.positive_int("num_attention_heads");
  c.num_hidden_layers = rd.positive_int("num_hidden_layers");
  c.vocab_size = rd.positive_int("vocab_size");
  c.num_key_value_heads = rd.int_or("num_key_value_heads", c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    throw rd.bad("num_key_value_heads", "= " + std::to_string(c.num_key_value_heads) +
                                            " does not divide num_attention_heads = " + std::to_string(c.num_attention_heads));
  if (rd.has("head_dim")) {
    c.head_dim = rd.positive_int("head_dim");
  } else {
    if (c.hidden_size % c.num_attention_heads != 0)
      throw rd.bad("num_attention_heads", "= " + std::to_string(c.num_attention_heads) +
                                              " does not divide hidden_size = " + std::to_string(c.hidden_size) +
                                              " (and no head_dim is given)");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.head_dim % 2 != 0) throw rd.bad("head_dim", "must be even for rotary embeddings, found " + std::to_string(c.head_dim));
  {  // products in 128 bits: three factors below 2^24 each can pass 2^63
    using wide = __int128;
    const std::pair<const char*, wide> matrices[] = {
        {"vocab_size x hidden_size", wide{c.vocab_size} * c.hidden_size},
        {"intermediate_size x hidden_size", wide{c.intermediate_size} * c.hidden_size},
        {"num_attention_heads x head_dim x hidden_size", wide{c.num_attention_heads} * c.head_dim * c.hidden_size},
    };
    for (const auto& [what, elements] : matrices)
      if (elements > kMaxMatrixElements)
        throw make_error(ErrorKind::kInvalidInput, source,
                         std::string(what) + " = " + wide_to_string(elements) +
                             " elements in one matrix, over the limit of " + std::to_string(kMaxMatrixElements));
  }
  c.max_position_embeddings = rd.int_or("max_position_embeddings", 2048);
  c.rms_norm_eps = rd.positive_number_or("rms_norm_eps", 1e-6);
  c.rope_theta = rd.positive_number_or("rope_theta", 10000.0);
  if (rd.has("rope_scaling")) c.rope_scaling = parse_rope_scaling(j.at("rope_scaling"), source);
  c.tie_word_embeddings = rd.bool_or("tie_word_embeddings", false);
  if (qwen2) {
    c.attention_bias = true;  // Qwen2: q, k, v carry biases, o does not
    c.o_proj_bias = false;
  } else {
    c.attention_bias = rd.bool_or("attention_bias", false);
    c.o_proj_bias = c.attention_bias;
  }
  c.mlp_bias = rd.bool_or("mlp_bias", false);
  if (rd.has("hidden_act") && j.at("hidden_act") != "silu" && j.at("hidden_act") != "swish")
    throw make_error(ErrorKind::kUnsupported, source, "field 'hidden_act' = " + j.at("hidden_act").dump() + ": only silu is supported");
  if ((mistral || ((qwen2 || qwen3) && rd.bool_or("use_sliding_window", false))) && rd.has("sliding_window"))
    c.sliding_window = rd.positive_int("sliding_window");
  if (rd.has("bos_token_id")) {
    const auto& b = j.at("bos_token_id");
    if (!b.is_number_integer() || b.get<int64_t>() < 0) throw rd.bad("bos_token_id", "must be a token id, found " + b.dump());
    c.bos_token_id = b.get<int64_t>();
  }
  c.eos_token_ids = parse_eos(rd);
  for (int64_t id : c.eos_token_ids)
    if (id >= c.vocab_size) throw rd.bad("eos_token_id", std::to_string(id) + " is outside vocab_size " + std::to_string(c.vocab_size));
  if (c.bos_token_id >= c.vocab_size)
    throw rd.bad("bos_token_id", std::to_string(c.bos_token_id) + " is outside vocab_size " + std::to_string(c.vocab_size));
  if (rd.has("torch_dtype") && j.at("torch_dtype").is_string()) c.torch_dtype = j.at("torch_dtype").get<std::string>();
  return c;
}

nlohmann::json LlamaConfig::to_json() const {
  nlohmann::json j = {
      {"architectures", {architecture}},
      {"model_type", model_type},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"num_hidden_layers", num_hidden_layers},
      {"vocab_size", vocab_size},
      {"max_position_embeddings", max_position_embeddings},
      {"hidden_act", "silu"},
      {"rms_norm_eps", rms_norm_eps},
      {"rope_theta", rope_theta},
      {"tie_word_embeddings", tie_word_embeddings},
      {"mlp_bias", mlp_bias},
      {"bos_token_id", bos_token_id},
      {"torch_dtype", torch_dtype},
  };
  if (model_type != "qwen2") j["attention_bias"] = attention_bias;
  if (model_type == "qwen3") j["use_sliding_window"] = false;
  j["eos_token_id"] = eos_token_ids.size() == 1 ? nlohmann::json(eos_token_ids[0]) : nlohmann::json(eos_token_ids);
  if (rope_scaling) {
    j["rope_scaling"] = {{"rope_type", rope_scaling->rope_type}, {"factor", rope_scaling->factor}};
    if (rope_scaling->rope_type == "llama3") {
      j["rope_scaling"]["low_freq_factor"] = rope_scaling->low_freq_factor;
      j["rope_scaling"]["high_freq_factor"] = rope_scaling->high_freq_factor;
      j["rope_scaling"]["original_max_position_embeddings"] = rope_scaling->original_max_position_embeddings;
    }
  } else {
    j["rope_scaling"] = nullptr;
  }
  if (sliding_window) j["sliding_window"] = *sliding_window;
  return j;
}

}  // namespace irq
