// Adding LoRA / IEC-LoRA to a model, and the adapter files (see adapter_io.h).
#include "lora/adapter_io.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "io/safetensors_writer.h"
#include "io/tensor_view.h"
#include "lora/adapter_config.h"
#include "lora/lora_adapter.h"
#include "quant/model_quantizer.h"
#include "quant/quant_format.h"
#include "quant/quantize_model.h"
#include "quant/quantized_weight.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

// The largest LoRA rank an adapter_config.json may declare (peft's largest
// published ranks are 1024-4096; the bound only keeps allocation sane).
constexpr int64_t kMaxAdapterRank = 65536;

}  // namespace

std::optional<ModelQuantOptions> adapter_base_quant(const fs::path& adapter_dir) {
  const auto base = adapter_base(adapter_dir);
  if (base.quant.is_null()) return std::nullopt;
  ModelQuantOptions o;
  o.settings = QuantSettings::from_json(base.quant, (adapter_dir / "adapter_config.json").string());
  o.targets = base.targets;
  return o;
}

std::vector<std::pair<std::string, LinearImpl*>> lora_layers(LlamaForCausalLM& model) {
  std::vector<std::pair<std::string, LinearImpl*>> out;
  for (const auto& m : model->named_modules("", /*include_self=*/false))
    if (auto* l = m.value()->as<LinearImpl>(); l && lora_of(*l)) out.emplace_back(m.key(), l);
  return out;
}

void add_lora(LlamaForCausalLM& model, const LoraConfig& config) {
  auto modules = model->named_modules("", /*include_self=*/false);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(model->options().device());
  uint64_t seed = config.seed;
  // The fixed IEC matrices depend only on (rank, width): layers of one shape
  // share one copy (at 7B shape, 630 MB of float32 becomes 10 MB).
  std::map<std::vector<int64_t>, torch::Tensor> shared;
  auto share = [&](torch::Tensor& t) { t = shared.emplace(t.sizes().vec(), t).first->second; };
  for (const auto& name : quantizable_weights(model->config, config.targets)) {
    const std::string module = name.substr(0, name.size() - std::string(".weight").size());
    auto* linear = modules[module]->as<LinearImpl>();
    auto& lora = enable_lora(*linear, config.rank, config.alpha, config.iec, opts, seed++, config.qa_group);
    lora.dropout = config.dropout;
    if (config.iec) {
      share(lora.iec_G);
      share(lora.iec_R);
    }
  }
}

std::vector<torch::Tensor> lora_parameters(LlamaForCausalLM& model) {
  std::vector<torch::Tensor> out;
  for (auto& [name, l] : lora_layers(model)) {
    const auto& a = *lora_of(*l);
    out.push_back(a.lora_A->weight);
    out.push_back(a.lora_B->weight);
    if (a.iec()) {
      out.push_back(a.iec_beta_a);
      out.push_back(a.iec_beta_b);
    }
  }
  for (auto& p : out) p.set_requires_grad(true);
  return out;
}

namespace {
std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

void save_adapter(const fs::path& dir, LlamaForCausalLM& model, const LoraConfig& lora, const std::string& base_model,
                  const nlohmann::json& quant) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw make_error(ErrorKind::kIo, dir.string(), "cannot create: " + ec.message());
  std::vector<torch::Tensor> keep;  // contiguous CPU float32 copies alive until written
  std::vector<TensorBlob> blobs;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    keep.push_back(t.detach().to(torch::kCPU, torch::kFloat32).contiguous().reshape(t.dim() == 0 ? std::vector<int64_t>{1} : t.sizes().vec()));
    blobs.push_back({name, DType::kF32, keep.back().sizes().vec(), keep.back().data_ptr()});
  };
  const auto layers = lora_layers(model);
  std::vector<std::vector<uint8_t>> hash_bytes;
  std::vector<QuantizedTensor> hosts;  // blobs point into these
  hash_bytes.reserve(layers.size());
  hosts.reserve(layers.size());
  for (auto& [name, l] : layers) {
    const auto& a = *lora_of(*l);
    if (const QuantizedWeight* base = quantized_weight(*l)) {
      hosts.push_back(base->to_host());
      const QuantizedTensor& q = hosts.back();
      // The whole base's fingerprint (every format's), checked at load.
      const uint64_t h = payload_hash(q);
      hash_bytes.emplace_back(8);
      for (int b = 0; b < 8; ++b) hash_bytes.back()[static_cast<size_t>(b)] = static_cast<uint8_t>(h >> (8 * b));
      blobs.push_back({"irqlora.base." + name + ".hash", DType::kU8, {8}, hash_bytes.back().data()});
      // The parts adapters recorded before the hash (NF4: the ICQ offsets), for their readers.
      for (const auto& part : require_quant_format(q.settings.method).recorded_parts)
        if (const auto [data, bytes] = q.part_bytes(part); data && bytes > 0) {
          const bool f32 = q.find_part<float>(part) != nullptr;
          const int64_t count = static_cast<int64_t>(bytes / (f32 ? sizeof(float) : 1));
          blobs.push_back({"irqlora.base." + name + "." + part, f32 ? DType::kF32 : DType::kU8, {count}, data});
        }
    }
    add("base_model.model." + name + ".lora_A.weight", a.lora_A->weight);
    add("base_model.model." + name + ".lora_B.weight", a.lora_B->weight);
    if (a.iec()) {
      add("base_model.model." + name + ".iec_beta_a", a.iec_beta_a);
      add("base_model.model." + name + ".iec_beta_b", a.iec_beta_b);
    }
  }
  write_safetensors(dir / "adapter_model.safetensors", blobs, {{"format", "pt"}});
  const nlohmann::json config = {{"peft_type", "LORA"},
                                 {"task_type", "CAUSAL_LM"},
                                 {"base_model_name_or_path", base_model},
                                 {"r", lora.rank},
                                 {"lora_alpha", lora.alpha},
                                 {"lora_dropout", lora.dropout},
                                 {"bias", "none"},
                                 {"fan_in_fan_out", false},
                                 {"inference_mode", true},
                                 {"target_modules", lora.targets},
                                 {"irqlora", {{"iec", lora.iec}, {"quantization", quant}, {"qa_lora_group", lora.qa_group}}}};
  write_text_atomic(dir / "adapter_config.json", config.dump(2) + "\n");
}

namespace {

// The rebuilt base of `name` against the one the adapter was trained on: its
// payload hash when the file records one (it covers every part), else the
// parts adapters recorded before the hash (NF4: tau). One host copy of the
// base, made only when the file records something to compare.
void check_rebuilt_base(const SafetensorsFile& file, const std::string& name, const QuantizedWeight& built) {
  const std::string prefix = "irqlora.base." + name + ".";
  const TensorInfo* hash = file.find(prefix + "hash");
  std::vector<std::pair<std::string, const TensorInfo*>> recorded;
  for (const auto& part : require_quant_format(built.settings.method).recorded_parts)
    if (const auto* stored = file.find(prefix + part)) recorded.emplace_back(part, stored);
  if (!hash && recorded.empty()) return;
  const QuantizedTensor host = built.to_host();
  auto differs = [&](const std::string& what) {
    return make_error(ErrorKind::kInvalidInput, file.path().string(),
                      "the quantized base differs from the one the adapter was trained on (" + what + ")");
  };
  if (hash) {
    const auto bytes = tensor_view(file, *hash).to(torch::kUInt8).contiguous();
    uint64_t want = 0;
    for (int b = 0; b < 8 && b < bytes.numel(); ++b) want |= static_cast<uint64_t>(bytes.data_ptr<uint8_t>()[b]) << (8 * b);
    const uint64_t have = payload_hash(host);
    if (bytes.numel() != 8 || have != want)
      throw differs("the codes and scales of " + name + " hash to " + hex64(have) + ", the adapter's base to " + hex64(want));
    return;
  }
  for (const auto& [part, stored] : recorded) {
    const auto [data, size] = host.part_bytes(part);
    const auto t = tensor_view(file, *stored).contiguous();
    if (!data || static_cast<uint64_t>(t.nbytes()) != size || std::memcmp(t.data_ptr(), data, size) != 0)
      throw differs(part + " of " + name);
  }
}

}  // namespace

nlohmann::json load_adapter(const fs::path& dir, LoadedModel& loaded, int requantize_n) {
  const fs::path cfg_path = dir / "adapter_config.json";
  const AdapterBase base = adapter_base(dir);  // peft_type, targets and the base's settings, validated
  const auto& cfg = base.config;
  LoraConfig lora;
  lora.targets = base.targets;
  nlohmann::json quant = base.quant;
  try {
    lora.rank = json_field<int64_t>(cfg, "r", cfg_path.string());
    lora.alpha = json_field<double>(cfg, "lora_alpha", cfg_path.string());
    if (cfg.contains("lora_dropout") && cfg["lora_dropout"].is_number()) lora.dropout = cfg["lora_dropout"].get<double>();
    lora.iec = cfg.contains("irqlora") && cfg["irqlora"].value("iec", false);
    lora.qa_group = cfg.contains("irqlora") ? cfg["irqlora"].value("qa_lora_group", int64_t{0}) : 0;
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), e.what());
  }
  // Bounds before any matrix is allocated from them (a rank of 2^40 aborted in the allocator).
  if (lora.rank < 1 || lora.rank > kMaxAdapterRank)
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "r = " + std::to_string(lora.rank) + " (must be 1 to " +
                                                                      std::to_string(kMaxAdapterRank) + ")");
  if (!std::isfinite(lora.alpha))
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "lora_alpha must be a finite number");
  if (lora.qa_group < 0 || lora.qa_group > 4096)
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "irqlora.qa_lora_group must be in [0, 4096]");
  if (!(lora.dropout >= 0 && lora.dropout < 1))
    throw make_error(ErrorKind::kInvalidInput, cfg_path.string(), "lora_dropout must be in [0, 1)");
  if (requantize_n > 0) {
    if (quant.is_null() || !quant.value("icq", false))
      throw make_error(ErrorKind::kUsage, cfg_path.string(), "requantizing with another n needs an adapter trained on an ICQ base");
    quant["n"] = requantize_n;
  }
  const auto file = SafetensorsFile::open(dir / "adapter_model.safetensors");
  const QuantizedWeight* quantized = nullptr;
  for (const auto& m : loaded.model->named_modules("", false))
    if (auto* l = m.value()->as<LinearImpl>(); l && quantized_weight(*l)) quantized = quantized_weight(*l);
  if (quantized) {  // a base quantized by the caller must be the adapter's
    const nlohmann::json have = quantized->settings.to_json();
    if (quant.is_null() || have != quant)
      throw make_error(ErrorKind::kInvalidInput, cfg_path.string(),
                       "the adapter was trained on a " + (quant.is_null() ? std::string("full-precision base") : quant.dump()) +
                           ", but the base here is quantized as " + have.dump() + " (drop --quant: the adapter rebuilds its own base)");
  }
  if (!quant.is_null()) {
    if (!quantized) {
      ModelQuantOptions o;
      o.settings = QuantSettings::from_json(quant, cfg_path.string());
      o.targets = lora.targets;
      quantize_model(loaded, o);
    }
  }
  add_lora(loaded.model, lora);
  torch::NoGradGuard no_grad;
  auto fill = [&](const std::string& key, torch::Tensor& t) {
    const auto* info = file.find(key);
    const int64_t want = t.numel();
    if (!info || info->numel() != want)
      throw make_error(ErrorKind::kInvalidInput, file.path().string(), "tensor '" + key + "' is missing or has the wrong size");
    t.copy_(tensor_view(file, *info).reshape(t.sizes()));
  };
  for (auto& [name, l] : lora_layers(loaded.model)) {
    auto& a = *lora_of(*l);
    fill("base_model.model." + name + ".lora_A.weight", a.lora_A->weight);
    fill("base_model.model." + name + ".lora_B.weight", a.lora_B->weight);
    if (a.iec()) {
      fill("base_model.model." + name + ".iec_beta_a", a.iec_beta_a);
      fill("base_model.model." + name + ".iec_beta_b", a.iec_beta_b);
    }
    const QuantizedWeight* built = quantized_weight(*l);
    if (built && requantize_n == 0) check_rebuilt_base(file, name, *built);
  }
  return quant;
}

}  // namespace irq
