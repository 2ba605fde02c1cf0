// bitsandbytes NF4 serialization (see nf4_bnb_export.h).
#include "nf4_bnb_export.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "io/json_file.h"
#include "export/export_target.h"
#include "export/model_tensors.h"
#include "io/safetensors_stream_writer.h"
#include "model/layers.h"
#include "quant/dynamic_map.h"
#include "quant/nf4_levels.h"
#include "quant/quantized_weight.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

const char* torch_name(DType d) { return d == DType::kF16 ? "float16" : d == DType::kBF16 ? "bfloat16" : "float32"; }

torch::ScalarType scalar(DType d) { return d == DType::kF16 ? torch::kFloat16 : d == DType::kBF16 ? torch::kBFloat16 : torch::kFloat32; }

struct Entry {
  TensorSpec spec;
  std::function<std::vector<uint8_t>()> bytes;
};

template <typename T>
std::vector<uint8_t> raw(const T* p, size_t n) {
  return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(p), reinterpret_cast<const uint8_t*>(p) + n * sizeof(T));
}

}  // namespace

void export_bnb_nf4(LoadedModel& model, const fs::path& out, DType dtype, const ExportOptions& options) {
  if (dtype != DType::kF16 && dtype != DType::kBF16 && dtype != DType::kF32)
    throw make_error(ErrorKind::kUsage, "export --format bnb-nf4", "dtype must be float16, bfloat16 or float32");
  const auto tensors = model_tensors(model, /*merge_adapters=*/false);
  std::vector<Entry> entries;
  int64_t quantized = 0;
  for (const auto& t : tensors) {
    if (!t.linear || !quantized_weight(*t.linear)) {
      entries.push_back({{t.name, dtype, t.shape}, [&t, dtype] {
                           const auto v = t.value().to(scalar(dtype)).contiguous();
                           return raw(static_cast<const uint8_t*>(v.data_ptr()), static_cast<size_t>(v.numel() * v.element_size()));
                         }});
      continue;
    }
    const auto& l = *t.linear;
    const QuantizedWeight& base = *quantized_weight(l);
    const auto& s = base.settings;
    if (l.has_adapter()) throw make_error(ErrorKind::kUsage, "export --format bnb-nf4", "cannot carry an adapter: export it with --format peft");
    if (s.method != "nf4" || s.icq)
      throw make_error(ErrorKind::kUsage, "export --format bnb-nf4",
                       t.name + " is " + (s.method == "nf4" ? "ICQ-NF4, whose tau bitsandbytes cannot store" : s.method) +
                           "; quantize with --quant nf4 --quant-no-icq");
    ++quantized;
    const int64_t numel = t.shape[0] * t.shape[1], nblocks = (numel + s.block_size - 1) / s.block_size;
    const int64_t groups = (nblocks + s.stats_block - 1) / s.stats_block;
    auto host = std::make_shared<const QuantizedTensor>(base.to_host());
    const nlohmann::json state = {{"quant_type", "nf4"},
                                  {"blocksize", s.block_size},
                                  // bitsandbytes dequantizes to this dtype: float32 hands the
                                  // compute dtype the engine's own weight, unrounded.
                                  {"dtype", "float32"},
                                  {"shape", t.shape},
                                  {"nested_blocksize", s.stats_block},
                                  {"nested_dtype", "float32"},
                                  {"nested_offset", host->part<float>("absmax_offset").at(0)}};
    const std::string json = state.dump();
    const std::string w = t.name;
    entries.push_back({{w, DType::kU8, {(numel + 1) / 2, 1}}, [host, numel] { return std::vector<uint8_t>(host->codes().begin(), host->codes().begin() + (numel + 1) / 2); }});
    entries.push_back({{w + ".absmax", DType::kU8, {nblocks}}, [host] { return host->part<uint8_t>("absmax_q"); }});
    entries.push_back({{w + ".quant_map", DType::kF32, {16}}, [] { return raw(kNf4Levels.data(), 16); }});
    entries.push_back({{w + ".nested_absmax", DType::kF32, {groups}}, [host] {
                         const auto& v = host->part<float>("absmax_scale");
                         return raw(v.data(), v.size());
                       }});
    entries.push_back({{w + ".nested_quant_map", DType::kF32, {256}}, [] { return raw(dynamic_map_8bit().data(), 256); }});
    entries.push_back({{w + ".quant_state.bitsandbytes__nf4", DType::kU8, {static_cast<int64_t>(json.size())}},
                       [json] { return std::vector<uint8_t>(json.begin(), json.end()); }});
  }
  if (quantized == 0)
    throw make_error(ErrorKind::kUsage, "export --format bnb-nf4", "the model is not quantized; pass --quant nf4 --quant-no-icq");
  std::vector<TensorSpec> specs;
  uint64_t bytes = 0;
  for (const auto& e : entries) {
    specs.push_back(e.spec);
    bytes += e.spec.bytes();
  }
  check_export_target(out, options.force, bytes);
  auto config = read_json_file(model.dir / "config.json");
  if (!config.is_object()) throw make_error(ErrorKind::kInvalidInput, (model.dir / "config.json").string(), "is not a JSON object");
  config["torch_dtype"] = torch_name(dtype);
  config["quantization_config"] = {{"quant_method", "bitsandbytes"},
                                   {"load_in_4bit", true},
                                   {"load_in_8bit", false},
                                   {"bnb_4bit_quant_type", "nf4"},
                                   {"bnb_4bit_use_double_quant", true},
                                   {"bnb_4bit_compute_dtype", torch_name(dtype)},
                                   {"bnb_4bit_quant_storage", "uint8"},
                                   {"llm_int8_threshold", 6.0},
                                   {"llm_int8_skip_modules", nullptr},
                                   {"llm_int8_has_fp16_weight", false},
                                   {"llm_int8_enable_fp32_cpu_offload", false}};
  AtomicDir dir(out);
  {
    SafetensorsStreamWriter writer(dir.path() / "model.safetensors", specs, {{"format", "pt"}});
    int64_t done = 0;
    for (const auto& e : entries) {
      if (options.cancel) options.cancel->throw_if_cancelled("export " + out.string());
      const auto b = e.bytes();
      writer.write(e.spec.name, b.data(), b.size());
      if (options.progress) options.progress->progress("export", ++done, static_cast<int64_t>(entries.size()));
    }
    writer.finish();
  }
  write_text_atomic(dir.path() / "config.json", config.dump(2) + "\n");
  copy_tokenizer_files(model.dir, dir.path());
  dir.commit();
}

}  // namespace irq
