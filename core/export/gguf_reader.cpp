// GGUF reader (layout in gguf_format.h): every length, count, type and offset is
// checked against the file before use; errors name the file and the problem.
#include <cstring>

#include "common/error.h"
#include "common/mapped_file.h"
#include "export/gguf_format.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, const fs::path& path) : p_(data), size_(size), path_(path) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw make_error(ErrorKind::kInvalidInput, path_.string(), what + " (at byte " + std::to_string(pos_) + ")");
  }
  void need(uint64_t n, const char* what) const {
    if (n > size_ - pos_) fail(std::string("truncated: ") + what + " runs past the end of the file");
  }
  template <typename T>
  T pod(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string str(const char* what) {
    const auto n = pod<uint64_t>(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }
  nlohmann::json scalar(GgufValueType t, const std::string& key) {
    switch (t) {
      case GgufValueType::kU8: return pod<uint8_t>(key.c_str());
      case GgufValueType::kI8: return pod<int8_t>(key.c_str());
      case GgufValueType::kU16: return pod<uint16_t>(key.c_str());
      case GgufValueType::kI16: return pod<int16_t>(key.c_str());
      case GgufValueType::kU32: return pod<uint32_t>(key.c_str());
      case GgufValueType::kI32: return pod<int32_t>(key.c_str());
      case GgufValueType::kF32: return pod<float>(key.c_str());
      case GgufValueType::kBool: return pod<uint8_t>(key.c_str()) != 0;
      case GgufValueType::kString: return str(key.c_str());
      case GgufValueType::kU64: return pod<uint64_t>(key.c_str());
      case GgufValueType::kI64: return pod<int64_t>(key.c_str());
      case GgufValueType::kF64: return pod<double>(key.c_str());
      default: fail("metadata " + key + ": unknown value type " + std::to_string(static_cast<uint32_t>(t)));
    }
  }
  uint64_t pos() const { return pos_; }

 private:
  const uint8_t* p_;
  uint64_t size_, pos_ = 0;
  fs::path path_;
};

bool known_type(uint32_t t) { return t == 0 || t == 1 || t == 3 || t == 8; }

// A dimension above 2^40 cannot be a tensor in any file this tool reads; the
// bound keeps every product below in 128-bit arithmetic far from overflow.
constexpr uint64_t kMaxDim = uint64_t{1} << 40;

}  // namespace

GgufFile GgufFile::open(const fs::path& path) {
  const auto file = MappedFile::open(path);
  Cursor c(file->data(), file->size(), path);
  GgufFile g;
  g.path = path;
  if (c.pod<uint32_t>("magic") != 0x46554747) c.fail("not a GGUF file (bad magic)");
  g.version = c.pod<uint32_t>("version");
  if (g.version != 3 && g.version != 2) c.fail("GGUF version " + std::to_string(g.version) + " is not supported (2 or 3)");
  const auto n_tensors = c.pod<uint64_t>("tensor count");
  const auto n_kv = c.pod<uint64_t>("metadata count");
  if (n_tensors > file->size() || n_kv > file->size()) c.fail("implausible tensor or metadata count");
  for (uint64_t i = 0; i < n_kv; ++i) {
    GgufKv kv;
    kv.key = c.str("metadata key");
    kv.type = static_cast<GgufValueType>(c.pod<uint32_t>(kv.key.c_str()));
    if (kv.type == GgufValueType::kArray) {
      kv.element_type = static_cast<GgufValueType>(c.pod<uint32_t>(kv.key.c_str()));
      const auto n = c.pod<uint64_t>(kv.key.c_str());
        // Every element takes at least one byte of the file.
      if (n > file->size() - c.pos()) c.fail("metadata " + kv.key + ": array length " + std::to_string(n) + " exceeds the file");
      kv.value = nlohmann::json::array();
      for (uint64_t k = 0; k < n; ++k) kv.value.push_back(c.scalar(kv.element_type, kv.key));
    } else {
      kv.value = c.scalar(kv.type, kv.key);
    }
    if (kv.key == "general.alignment") {
      if (kv.type != GgufValueType::kU32) c.fail("general.alignment must be a uint32");
      g.alignment = kv.value.get<uint32_t>();
    }
    g.metadata.push_back(std::move(kv));
  }
  if (g.alignment == 0 || (g.alignment & (g.alignment - 1)) != 0) c.fail("general.alignment is not a power of two");
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = c.str("tensor name");
    const auto dims = c.pod<uint32_t>(t.name.c_str());
    if (dims == 0 || dims > 4) c.fail("tensor " + t.name + ": " + std::to_string(dims) + " dimensions");
    for (uint32_t d = 0; d < dims; ++d) {
      const auto ne = c.pod<uint64_t>(t.name.c_str());
      if (ne == 0 || ne > kMaxDim)
        c.fail("tensor " + t.name + ": dimension " + std::to_string(d) + " = " + std::to_string(ne) + " (must be 1 to 2^40)");
      t.ne.push_back(static_cast<int64_t>(ne));
    }
    const auto type = c.pod<uint32_t>(t.name.c_str());
    if (!known_type(type)) c.fail("tensor " + t.name + ": ggml type " + std::to_string(type) + " is not read by this tool");
    t.type = static_cast<GgmlType>(type);
    t.offset = c.pod<uint64_t>(t.name.c_str());
    if (t.offset % g.alignment != 0) c.fail("tensor " + t.name + ": offset not aligned");
    g.tensors.push_back(std::move(t));
  }
  g.data_offset = (c.pos() + g.alignment - 1) / g.alignment * g.alignment;
  for (const auto& t : g.tensors) {
    if ((t.type == GgmlType::kQ8_0 || t.type == GgmlType::kQ4_1) && t.ne[0] % 32 != 0)
      c.fail("tensor " + t.name + ": row length not a multiple of the block");
    // Elements bounded by 8 per byte of the file (no type packs more) before
    // any byte count is taken, so ggml_bytes cannot overflow; the end offset
    // is summed in 128 bits so it cannot wrap past the check.
    unsigned __int128 numel = 1;
    for (int64_t d : t.ne) {
      numel *= static_cast<uint64_t>(d);
      if (numel > file->size() * uint64_t{8}) c.fail("tensor " + t.name + ": more elements than the file could hold");
    }
    const unsigned __int128 end =
        static_cast<unsigned __int128>(g.data_offset) + t.offset + ggml_bytes(t.type, static_cast<int64_t>(numel));
    if (end > file->size()) c.fail("tensor " + t.name + ": data runs past the end of the file");
  }
  return g;
}

const GgufKv* GgufFile::find(const std::string& key) const {
  for (const auto& kv : metadata)
    if (kv.key == key) return &kv;
  return nullptr;
}

const GgufTensorInfo* GgufFile::tensor(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const char* ggml_type_name(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return "F32";
    case GgmlType::kF16: return "F16";
    case GgmlType::kQ4_1: return "Q4_1";
    case GgmlType::kQ8_0: return "Q8_0";
  }
  return "?";
}

uint64_t ggml_bytes(GgmlType t, int64_t count) {
  const auto n = static_cast<uint64_t>(count);
  switch (t) {
    case GgmlType::kF32: return 4 * n;
    case GgmlType::kF16: return 2 * n;
    case GgmlType::kQ4_1: return n / 32 * 20;
    case GgmlType::kQ8_0: return n / 32 * 34;
  }
  return 0;
}

int64_t GgufTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

}  // namespace irq
