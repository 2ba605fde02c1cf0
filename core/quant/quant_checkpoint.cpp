// Writing and reading the irqlora-quant checkpoint (layout in the header).
#include "quant/quant_checkpoint.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "io/checkpoint.h"
#include "io/safetensors_writer.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

const char* kCopied[] = {"config.json", "tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                         "special_tokens_map.json", "generation_config.json"};

template <typename T>
TensorBlob blob(const std::string& name, DType dtype, const std::vector<T>& v) {
  return {name, dtype, {static_cast<int64_t>(v.size())}, v.data()};
}

template <typename T>
std::vector<T> read_vec(const CheckpointWeights& w, const std::string& name, DType dtype, const std::string& where) {
  const auto e = w.find(name);
  if (!e.file) throw make_error(ErrorKind::kNotFound, where, "quantized checkpoint has no tensor '" + name + "'");
  if (e.info->dtype != dtype)
    throw make_error(ErrorKind::kInvalidInput, e.file->path().string(), "tensor '" + name + "' has dtype " +
                                                                            dtype_name(e.info->dtype) + ", expected " + dtype_name(dtype));
  std::vector<T> v(static_cast<size_t>(e.info->numel()));
  std::memcpy(v.data(), e.file->data(*e.info), v.size() * sizeof(T));
  return v;
}

}  // namespace

void write_quant_checkpoint(const fs::path& source_dir, const fs::path& out_dir,
                            const std::map<std::string, QuantizedTensor>& quantized, bool overwrite) {
  if (fs::exists(out_dir) && !overwrite)
    throw make_error(ErrorKind::kUsage, out_dir.string(), "exists; pass --force to overwrite");
  if (quantized.empty()) throw make_error(ErrorKind::kUsage, out_dir.string(), "nothing was quantized");
  const auto weights = CheckpointWeights::open(source_dir);
  std::vector<TensorBlob> blobs;
  std::vector<std::vector<float>> offsets;  // storage for the scalar offsets
  offsets.reserve(quantized.size());
  nlohmann::json names = nlohmann::json::array(), shapes = nlohmann::json::object();
  const QuantSettings* settings = nullptr;
  for (const auto& name : weights.names()) {
    auto it = quantized.find(name);
    if (it == quantized.end()) {
      const auto e = weights.find(name);
      blobs.push_back({name, e.info->dtype, e.info->shape, e.file->data(*e.info)});
      continue;
    }
    const QuantizedTensor& q = it->second;
    settings = &q.settings;
    names.push_back(name);
    shapes[name] = q.shape;
    blobs.push_back(blob(name + ".codes", DType::kU8, q.codes));
    if (q.settings.method == "nf4") {
      offsets.push_back({q.absmax_offset});
      blobs.push_back(blob(name + ".absmax_q", DType::kU8, q.absmax_q));
      blobs.push_back(blob(name + ".absmax_scale", DType::kF32, q.absmax_scale));
      blobs.push_back(blob(name + ".absmax_offset", DType::kF32, offsets.back()));
      blobs.push_back(blob(name + ".tau_q", DType::kU8, q.tau_q));
      blobs.push_back(blob(name + ".tau_scale", DType::kF32, q.tau_scale));
    } else {
      blobs.push_back(blob(name + ".scale", DType::kF32, q.scale));
      blobs.push_back(blob(name + ".zero", DType::kF32, q.zero));
    }
  }
  if (names.size() != quantized.size())
    throw make_error(ErrorKind::kUsage, source_dir.string(), "quantized tensors that the checkpoint does not hold");

  fs::path tmp = out_dir;
  tmp += ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    fs::create_directories(tmp);
    write_safetensors(tmp / "model.safetensors", blobs, {{"format", "irqlora-quant"}});
    for (const char* f : kCopied)
      if (fs::exists(source_dir / f)) {
        fs::copy_file(source_dir / f, tmp / f, fs::copy_options::overwrite_existing);
        fs::permissions(tmp / f, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
      }
    const nlohmann::json meta = {{"format", "irqlora-quant"}, {"version", 1},       {"settings", settings->to_json()},
                                 {"label", settings->label()}, {"quantized", names}, {"shapes", shapes},
                                 {"source", fs::absolute(source_dir).string()}};
    write_text_atomic(tmp / "irqlora_quant.json", meta.dump(2) + "\n");
    if (fs::exists(out_dir)) fs::remove_all(out_dir);
    fs::rename(tmp, out_dir);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw make_error(ErrorKind::kIo, out_dir.string(), e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

std::map<std::string, QuantizedTensor> read_quantized_tensors(const fs::path& dir, const CheckpointWeights& weights) {
  std::map<std::string, QuantizedTensor> out;
  const fs::path meta_path = dir / "irqlora_quant.json";
  if (!fs::exists(meta_path)) return out;
  std::ifstream in(meta_path);
  const auto meta = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  const std::string where = meta_path.string();
  if (meta.is_discarded() || !meta.is_object() || meta.value("format", "") != "irqlora-quant")
    throw make_error(ErrorKind::kInvalidInput, where, "not an irqlora-quant description");
  if (meta.value("version", 0) != 1)
    throw make_error(ErrorKind::kUnsupported, where, "version " + meta.value("version", nlohmann::json(0)).dump() + " (this build reads 1)");
  const QuantSettings settings = QuantSettings::from_json(meta.at("settings"), where);
  try {
    for (const auto& name_json : meta.at("quantized")) {
      const std::string name = name_json.get<std::string>();
      QuantizedTensor q;
      q.settings = settings;
      q.shape = meta.at("shapes").at(name).get<std::vector<int64_t>>();
      q.codes = read_vec<uint8_t>(weights, name + ".codes", DType::kU8, where);
      if (settings.method == "nf4") {
        q.absmax_q = read_vec<uint8_t>(weights, name + ".absmax_q", DType::kU8, where);
        q.absmax_scale = read_vec<float>(weights, name + ".absmax_scale", DType::kF32, where);
        q.absmax_offset = read_vec<float>(weights, name + ".absmax_offset", DType::kF32, where).at(0);
        q.tau_q = read_vec<uint8_t>(weights, name + ".tau_q", DType::kU8, where);
        q.tau_scale = read_vec<float>(weights, name + ".tau_scale", DType::kF32, where);
        const int64_t nblocks = (q.numel() + settings.block_size - 1) / settings.block_size;
        if (static_cast<int64_t>(q.absmax_q.size()) != nblocks || static_cast<int64_t>(q.codes.size()) != nblocks * settings.block_size / 2)
          throw make_error(ErrorKind::kInvalidInput, where, "tensor '" + name + "': codes/scales do not match its shape");
      } else {
        q.scale = read_vec<float>(weights, name + ".scale", DType::kF32, where);
        q.zero = read_vec<float>(weights, name + ".zero", DType::kF32, where);
      }
      out.emplace(name, std::move(q));
    }
  } catch (const nlohmann::json::exception& e) {
    throw make_error(ErrorKind::kInvalidInput, where, e.what());
  }
  return out;
}

}  // namespace irq
