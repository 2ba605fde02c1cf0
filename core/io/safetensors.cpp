// Safetensors header parsing and validation (format described in the header).
#include "io/safetensors.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/json_file.h"

namespace irq {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference refuses headers over 100 MB
constexpr int kMaxHeaderDepth = 16;

Error format_error(const std::string& file, const std::string& what) {
  return make_error(ErrorKind::kInvalidInput, file, what);
}

TensorInfo parse_entry(const std::string& file, const std::string& name, const nlohmann::json& j) {
  const std::string where = "tensor '" + name + "': ";
  if (!j.is_object()) throw format_error(file, where + "entry is not a JSON object");
  TensorInfo info;
  info.name = name;
  auto dt = j.find("dtype");
  if (dt == j.end() || !dt->is_string()) throw format_error(file, where + "missing \"dtype\"");
  auto dtype = dtype_from_name(dt->get<std::string>());
  if (!dtype) throw format_error(file, where + "unknown dtype \"" + dt->get<std::string>() + "\"");
  info.dtype = *dtype;
  auto sh = j.find("shape");
  if (sh == j.end() || !sh->is_array()) throw format_error(file, where + "missing \"shape\" list");
  for (const auto& d : *sh) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) throw format_error(file, where + "shape has a non-integer or negative entry");
    info.shape.push_back(d.get<int64_t>());
  }
  auto off = j.find("data_offsets");
  if (off == j.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    throw format_error(file, where + "\"data_offsets\" must be [begin, end] of non-negative integers");
  info.begin = (*off)[0].get<uint64_t>();
  info.end = (*off)[1].get<uint64_t>();
  if (info.end < info.begin) throw format_error(file, where + "data_offsets end < begin");
  // numel * size must equal the span, computed without overflow.
  unsigned __int128 bytes = dtype_size(info.dtype);
  for (int64_t d : info.shape) {
    bytes *= static_cast<uint64_t>(d);
    if (bytes > std::numeric_limits<uint64_t>::max()) throw format_error(file, where + "shape is too large");
  }
  if (static_cast<uint64_t>(bytes) != info.end - info.begin)
    throw format_error(file, where + "shape x dtype size = " + std::to_string(static_cast<uint64_t>(bytes)) +
                        " bytes but data_offsets span " + std::to_string(info.end - info.begin) + " bytes");
  return info;
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  f.map_ = MappedFile::open(path);
  const std::string file = path.string();
  const uint64_t size = f.map_->size();
  if (size < 8) throw format_error(file, "truncated: " + std::to_string(size) + " bytes, no header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | f.map_->data()[i];
  if (n < 2) throw format_error(file, "header length " + std::to_string(n) + " is too small for a JSON object");
  if (n > kMaxHeaderBytes) throw format_error(file, "header length " + std::to_string(n) + " exceeds the 100 MB limit");
  if (n > size - 8)
    throw format_error(file, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size) +
                        " bytes): truncated or not a safetensors file");
  const char* text = reinterpret_cast<const char*>(f.map_->data() + 8);
  // Nesting checked before nlohmann recurses into it (a real header nests 3 levels).
  if (json_nesting_depth(std::string_view(text, n), kMaxHeaderDepth) > kMaxHeaderDepth)
    throw format_error(file, "header nests arrays/objects deeper than " + std::to_string(kMaxHeaderDepth) + " levels");
  nlohmann::json header = nlohmann::json::parse(text, text + n, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) throw format_error(file, "header is not valid JSON");
  if (!header.is_object()) throw format_error(file, "header is not a JSON object");
  f.data_start_ = 8 + n;
  const uint64_t data_size = size - f.data_start_;

  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw format_error(file, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) throw format_error(file, "__metadata__ value of '" + m.key() + "' is not a string");
        f.metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    f.tensors_.push_back(parse_entry(file, it.key(), *it));
  }

  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : f.tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo* t : by_offset) {
    if (t->end > data_size)
      throw format_error(file, "tensor '" + t->name + "': data_offsets [" + std::to_string(t->begin) + ", " +
                          std::to_string(t->end) + ") run past the end of the data section (" +
                          std::to_string(data_size) + " bytes): file truncated?");
    if (t->begin < expected)
      throw format_error(file, "tensor '" + t->name + "' overlaps tensor '" + previous->name + "'");
    if (t->begin > expected)
      throw format_error(file, "gap of " + std::to_string(t->begin - expected) + " bytes before tensor '" + t->name + "'");
    expected = t->end;
    previous = t;
  }
  if (expected != data_size)
    throw format_error(file, std::to_string(data_size - expected) + " trailing bytes after the last tensor");

  for (size_t i = 0; i < f.tensors_.size(); ++i) f.index_[f.tensors_[i].name] = i;
  return f;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

void SafetensorsFile::prefetch(const TensorInfo& info) const {
  map_->prefetch_pages(static_cast<size_t>(data_start_ + info.begin), static_cast<size_t>(info.end - info.begin));
}

void SafetensorsFile::release(const TensorInfo& info) const {
  map_->release_pages(static_cast<size_t>(data_start_ + info.begin), static_cast<size_t>(info.end - info.begin));
}

}  // namespace irq
