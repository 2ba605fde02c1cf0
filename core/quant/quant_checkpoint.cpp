// Writing and reading the irqlora-quant checkpoint (layout in the header).
#include "quant/quant_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "io/checkpoint.h"
#include "io/json_file.h"
#include "quant/quant_format.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

const char* kCopied[] = {"config.json", "tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                         "special_tokens_map.json", "generation_config.json"};

// The bytes of stored tensor `name`, checked for dtype and size.
std::pair<const void*, uint64_t> part_bytes(const CheckpointWeights& w, const std::string& name, DType dtype, uint64_t size,
                                            const std::string& where) {
  const auto e = w.find(name);
  if (!e.file) throw make_error(ErrorKind::kNotFound, where, "quantized checkpoint has no tensor '" + name + "'");
  if (e.info->dtype != dtype)
    throw make_error(ErrorKind::kInvalidInput, e.file->path().string(), "tensor '" + name + "' has dtype " +
                                                                            dtype_name(e.info->dtype) + ", expected " + dtype_name(dtype));
  if (e.info->end - e.info->begin != size)
    throw make_error(ErrorKind::kInvalidInput, where, "tensor '" + name + "' has " + std::to_string(e.info->end - e.info->begin) +
                                                          " bytes, expected " + std::to_string(size));
  return {e.file->data(*e.info), size};
}

// A stored part's bytes into the payload, as its declared type.
void set_part_values(QuantizedTensor& q, const PayloadPart& part, const void* bytes, uint64_t size) {
  if (part.dtype == DType::kF32) {
    auto& v = q.part<float>(part.suffix);
    v.resize(size / sizeof(float));
    std::memcpy(v.data(), bytes, v.size() * sizeof(float));
  } else if (part.dtype == DType::kU8) {
    const auto* p = static_cast<const uint8_t*>(bytes);
    q.part<uint8_t>(part.suffix).assign(p, p + size);
  } else {
    throw make_error(ErrorKind::kUnsupported, q.settings.method, "part '" + part.suffix + "' has dtype " + dtype_name(part.dtype));
  }
}

// The output folder, refused when it exists and overwriting was not asked for.
fs::path usable_target(const fs::path& out_dir, bool overwrite) {
  if (fs::exists(out_dir) && !overwrite) throw make_error(ErrorKind::kUsage, out_dir.string(), "exists; pass --force to overwrite");
  return out_dir;
}

}  // namespace

std::vector<TensorSpec> quantized_parts(const std::string& name, const std::vector<int64_t>& shape, const QuantSettings& s) {
  std::vector<TensorSpec> specs;
  for (const auto& p : require_quant_format(s.method).stored_parts(shape, s)) specs.push_back({name + "." + p.suffix, p.dtype, p.shape});
  return specs;
}

QuantCheckpointWriter::QuantCheckpointWriter(const fs::path& source_dir, const fs::path& out_dir, const QuantSettings& settings,
                                             const std::vector<std::string>& quantized_names, bool overwrite)
    : source_(source_dir), settings_(settings), names_(quantized_names), dir_(usable_target(out_dir, overwrite)) {
  if (names_.empty()) throw make_error(ErrorKind::kUsage, out_dir.string(), "nothing to quantize");
  const auto weights = CheckpointWeights::open(source_dir);
  std::vector<TensorSpec> specs;
  std::vector<std::string> copied;
  for (const auto& n : weights.names()) {
    if (std::find(names_.begin(), names_.end(), n) != names_.end()) continue;
    const auto e = weights.find(n);
    specs.push_back({n, e.info->dtype, e.info->shape});
    copied.push_back(n);
  }
  for (const auto& n : names_) {
    const auto e = weights.find(n);
    if (!e.file) throw make_error(ErrorKind::kNotFound, source_dir.string(), "checkpoint has no tensor '" + n + "'");
    shapes_[n] = e.info->shape;
    for (auto& p : quantized_parts(n, e.info->shape, settings_)) specs.push_back(std::move(p));
  }
  writer_ = std::make_unique<SafetensorsStreamWriter>(dir_.path() / "model.safetensors", specs,
                                                       std::map<std::string, std::string>{{"format", "irqlora-quant"}});
  for (const auto& n : copied) {
    const auto e = weights.find(n);
    writer_->write(n, e.file->data(*e.info), e.info->end - e.info->begin);
  }
}

void QuantCheckpointWriter::add(const std::string& name, const QuantizedTensor& q) {
  const QuantFormat& format = require_quant_format(settings_.method);
  for (const auto& part : format.stored_parts(q.shape, settings_)) {
    const auto [data, bytes] = q.part_bytes(part.suffix);
    if (bytes != part.bytes())
      throw make_error(ErrorKind::kUsage, name,
                       "part '" + part.suffix + "' holds " + std::to_string(bytes) + " bytes where " + settings_.label() +
                           " stores " + std::to_string(part.bytes()) + ": quantized with other settings than declared");
    writer_->write(name + "." + part.suffix, data, bytes);
  }
}

void QuantCheckpointWriter::finish() {
  writer_->finish();
  const fs::path& tmp = dir_.path();
  try {
    for (const char* f : kCopied)
      if (fs::exists(source_ / f)) {
        fs::copy_file(source_ / f, tmp / f, fs::copy_options::overwrite_existing);
        fs::permissions(tmp / f, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
      }
    nlohmann::json shapes = nlohmann::json::object();
    for (const auto& [n, shape] : shapes_) shapes[n] = shape;
    const nlohmann::json meta = {{"format", "irqlora-quant"}, {"version", 1},        {"settings", settings_.to_json()},
                                 {"label", settings_.label()}, {"quantized", names_}, {"shapes", shapes},
                                 {"source", fs::absolute(source_).string()}};
    write_text_atomic(tmp / "irqlora_quant.json", meta.dump(2) + "\n");
  } catch (const fs::filesystem_error& e) {
    throw make_error(ErrorKind::kIo, tmp.string(), e.what());
  }
  dir_.commit();
}

void write_quant_checkpoint(const fs::path& source_dir, const fs::path& out_dir,
                            const std::map<std::string, QuantizedTensor>& quantized, bool overwrite) {
  if (quantized.empty()) throw make_error(ErrorKind::kUsage, out_dir.string(), "nothing was quantized");
  std::vector<std::string> names;
  for (const auto& kv : quantized) names.push_back(kv.first);
  QuantCheckpointWriter writer(source_dir, out_dir, quantized.begin()->second.settings, names, overwrite);
  for (const auto& [name, q] : quantized) writer.add(name, q);
  writer.finish();
}

namespace {

// A quantized projection is a matrix (or a vector) of at most 2^40 elements,
// each dimension in [1, 2^31): checked before any size is computed from it.
constexpr int64_t kMaxQuantDim = int64_t{1} << 31;
constexpr int64_t kMaxQuantNumel = int64_t{1} << 40;

std::vector<int64_t> checked_shape(const nlohmann::json& j, const std::string& name, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::kInvalidInput, where, "shapes." + name + " = " + j.dump().substr(0, 80) + ": " + why);
  };
  if (!j.is_array() || j.empty() || j.size() > 2) throw bad("must be a list of 1 or 2 dimensions");
  std::vector<int64_t> shape;
  __int128 numel = 1;
  for (const auto& d : j) {
    if (!d.is_number_integer()) throw bad("dimensions must be integers");
    const int64_t v = d.get<int64_t>();
    if (v < 1 || v >= kMaxQuantDim) throw bad("each dimension must be in [1, 2^31)");
    numel *= v;
    shape.push_back(v);
  }
  if (numel > kMaxQuantNumel) throw bad("more than 2^40 elements");
  return shape;
}

}  // namespace

std::optional<QuantCheckpointMeta> read_quant_meta(const fs::path& dir) {
  const fs::path meta_path = dir / "irqlora_quant.json";
  if (!fs::exists(meta_path)) return std::nullopt;
  const auto meta = read_json_file(meta_path);
  const std::string where = meta_path.string();
  QuantCheckpointMeta m;
  try {
    if (meta.is_discarded() || !meta.is_object() || !meta.contains("format") || meta["format"] != "irqlora-quant")
      throw make_error(ErrorKind::kInvalidInput, where, "not an irqlora-quant description");
    if (!meta.contains("version") || meta["version"] != 1)
      throw make_error(ErrorKind::kUnsupported, where,
                       "version " + meta.value("version", nlohmann::json(nullptr)).dump() + " (this build reads 1)");
    for (const char* key : {"settings", "quantized", "shapes"})
      if (!meta.contains(key)) throw make_error(ErrorKind::kInvalidInput, where, std::string("has no '") + key + "'");
    m.settings = QuantSettings::from_json(meta["settings"], where);
    const auto& names = meta["quantized"];
    const auto& shapes = meta["shapes"];
    if (!names.is_array()) throw make_error(ErrorKind::kInvalidInput, where, "'quantized' must be a list of tensor names");
    if (!shapes.is_object()) throw make_error(ErrorKind::kInvalidInput, where, "'shapes' must be an object");
    for (const auto& name_json : names) {
      if (!name_json.is_string())
        throw make_error(ErrorKind::kInvalidInput, where, "'quantized' holds " + name_json.dump().substr(0, 80) + ", not a name");
      const std::string name = name_json.get<std::string>();
      if (!shapes.contains(name)) throw make_error(ErrorKind::kInvalidInput, where, "'shapes' has no entry for '" + name + "'");
      m.quantized.push_back(name);
      m.shapes[name] = checked_shape(shapes[name], name, where);
    }
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, where, e.what());
  }
  return m;
}

std::map<std::string, QuantizedTensor> read_quantized_tensors(const fs::path& dir, const CheckpointWeights& weights) {
  std::map<std::string, QuantizedTensor> out;
  const auto meta = read_quant_meta(dir);
  if (!meta) return out;
  const std::string where = (dir / "irqlora_quant.json").string();
  const QuantSettings& settings = meta->settings;
  const QuantFormat& format = require_quant_format(settings.method);
  try {
    for (const auto& name : meta->quantized) {
      QuantizedTensor q;
      q.settings = settings;
      q.shape = meta->shapes.at(name);
      // Every part present with the size the declared shape implies, before anything is read.
      const auto parts = format.stored_parts(q.shape, settings);
      for (const auto& part : parts) {
        const auto e = weights.find(name + "." + part.suffix);
        if (!e.file) throw make_error(ErrorKind::kNotFound, where, "quantized checkpoint has no tensor '" + name + "." + part.suffix + "'");
        if (e.info->shape != part.shape)
          throw make_error(ErrorKind::kInvalidInput, where,
                           "tensor '" + name + "." + part.suffix + "' does not match the shape of '" + name + "'");
      }
      for (const auto& part : parts) {
        const auto [bytes, size] = part_bytes(weights, name + "." + part.suffix, part.dtype, part.bytes(), where);
        set_part_values(q, part, bytes, size);
      }
      if (format.optional_parts)
        for (const auto& part : format.optional_parts(q.shape, settings))
          if (weights.find(name + "." + part.suffix).file) {
            const auto [bytes, size] = part_bytes(weights, name + "." + part.suffix, part.dtype, part.bytes(), where);
            set_part_values(q, part, bytes, size);
          }
      if (format.finish_read) format.finish_read(q);
      out.emplace(name, std::move(q));
    }
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, where, e.what());
  }
  return out;
}

}  // namespace irq
