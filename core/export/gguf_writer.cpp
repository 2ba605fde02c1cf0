// GGUF writer and the ggml block encoders (layout in gguf.h).
#include "export/gguf.h"

#include <cstring>
#include <fstream>

#include <torch/torch.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF"
constexpr uint64_t kAlignment = 32;

uint64_t align(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

class Out {
 public:
  explicit Out(std::ostream& o) : o_(o) {}
  template <typename T>
  void pod(T v) { o_.write(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    o_.write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  void scalar(GgufValueType t, const nlohmann::json& v, const std::string& key) {
    switch (t) {
      case GgufValueType::kU8: pod<uint8_t>(v.get<uint8_t>()); break;
      case GgufValueType::kI8: pod<int8_t>(v.get<int8_t>()); break;
      case GgufValueType::kU16: pod<uint16_t>(v.get<uint16_t>()); break;
      case GgufValueType::kI16: pod<int16_t>(v.get<int16_t>()); break;
      case GgufValueType::kU32: pod<uint32_t>(v.get<uint32_t>()); break;
      case GgufValueType::kI32: pod<int32_t>(v.get<int32_t>()); break;
      case GgufValueType::kF32: pod<float>(v.get<float>()); break;
      case GgufValueType::kBool: pod<uint8_t>(v.get<bool>() ? 1 : 0); break;
      case GgufValueType::kString: str(v.get<std::string>()); break;
      case GgufValueType::kU64: pod<uint64_t>(v.get<uint64_t>()); break;
      case GgufValueType::kI64: pod<int64_t>(v.get<int64_t>()); break;
      case GgufValueType::kF64: pod<double>(v.get<double>()); break;
      case GgufValueType::kArray: throw make_error(ErrorKind::kUsage, "GGUF key " + key, "nested arrays are not written");
    }
  }
  void pad_to(uint64_t& pos, uint64_t target) {
    static const char zeros[kAlignment] = {};
    o_.write(zeros, static_cast<std::streamsize>(target - pos));
    pos = target;
  }

 private:
  std::ostream& o_;
};

uint64_t string_bytes(const std::string& s) { return 8 + s.size(); }

uint64_t scalar_bytes(GgufValueType t, const nlohmann::json& v) {
  switch (t) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kBool: return 1;
    case GgufValueType::kU16: case GgufValueType::kI16: return 2;
    case GgufValueType::kU32: case GgufValueType::kI32: case GgufValueType::kF32: return 4;
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kF64: return 8;
    case GgufValueType::kString: return string_bytes(v.get<std::string>());
    case GgufValueType::kArray: return 0;
  }
  return 0;
}

}  // namespace

struct GgufWriter::Impl {
  fs::path path, tmp;
  std::ofstream out;
  std::vector<GgufTensorInfo> tensors;
  size_t next = 0;
  uint64_t pos = 0;  // bytes written
  uint64_t data_start = 0;
  bool finished = false;
};

GgufWriter::GgufWriter(const fs::path& path, std::vector<GgufKv> metadata, std::vector<GgufTensorInfo> tensors)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.path = path;
  s.tmp = temp_sibling(path);
  s.tensors = std::move(tensors);
  uint64_t offset = 0;
  for (auto& t : s.tensors) {
    if ((t.type == GgmlType::kQ8_0 || t.type == GgmlType::kQ4_1) && t.ne.at(0) % 32 != 0)
      throw make_error(ErrorKind::kUsage, "GGUF tensor " + t.name,
                       std::string("rows of ") + std::to_string(t.ne[0]) + " values cannot hold 32-value " + ggml_type_name(t.type) + " blocks");
    t.offset = offset;
    offset = align(offset + ggml_bytes(t.type, t.numel()));
  }
  s.out.open(s.tmp, std::ios::binary | std::ios::trunc);
  if (!s.out) throw make_error(ErrorKind::kIo, s.tmp.string(), "cannot create");
  Out o(s.out);
  o.pod<uint32_t>(kMagic);
  o.pod<uint32_t>(3);
  o.pod<uint64_t>(s.tensors.size());
  o.pod<uint64_t>(metadata.size());
  uint64_t header = 24;
  for (const auto& kv : metadata) {
    o.str(kv.key);
    o.pod<uint32_t>(static_cast<uint32_t>(kv.type));
    header += string_bytes(kv.key) + 4;
    if (kv.type == GgufValueType::kArray) {
      o.pod<uint32_t>(static_cast<uint32_t>(kv.element_type));
      o.pod<uint64_t>(kv.value.size());
      header += 12;
      for (const auto& e : kv.value) {
        o.scalar(kv.element_type, e, kv.key);
        header += scalar_bytes(kv.element_type, e);
      }
    } else {
      o.scalar(kv.type, kv.value, kv.key);
      header += scalar_bytes(kv.type, kv.value);
    }
  }
  for (const auto& t : s.tensors) {
    o.str(t.name);
    o.pod<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) o.pod<uint64_t>(static_cast<uint64_t>(d));
    o.pod<uint32_t>(static_cast<uint32_t>(t.type));
    o.pod<uint64_t>(t.offset);
    header += string_bytes(t.name) + 4 + 8 * t.ne.size() + 4 + 8;
  }
  s.pos = header;
  o.pad_to(s.pos, align(header));
  s.data_start = s.pos;
  if (!s.out) throw make_error(ErrorKind::kIo, s.tmp.string(), "write failed");
}

GgufWriter::~GgufWriter() {
  if (!impl_->finished) {
    impl_->out.close();
    std::error_code ec;
    fs::remove(impl_->tmp, ec);
  }
}

void GgufWriter::write(const std::string& name, const void* data, uint64_t bytes) {
  auto& s = *impl_;
  if (s.next >= s.tensors.size() || s.tensors[s.next].name != name)
    throw make_error(ErrorKind::kUsage, "GGUF " + s.path.string(), "tensor " + name + " written out of the declared order");
  const auto& t = s.tensors[s.next];
  if (bytes != ggml_bytes(t.type, t.numel()))
    throw make_error(ErrorKind::kUsage, "GGUF tensor " + name, std::to_string(bytes) + " bytes given, " +
                                                                   std::to_string(ggml_bytes(t.type, t.numel())) + " declared");
  s.out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  s.pos += bytes;
  Out o(s.out);
  o.pad_to(s.pos, s.data_start + align(t.offset + bytes));
  ++s.next;
  if (!s.out) throw make_error(ErrorKind::kIo, s.tmp.string(), "write failed (disk full?)");
}

void GgufWriter::finish() {
  auto& s = *impl_;
  if (s.next != s.tensors.size())
    throw make_error(ErrorKind::kUsage, "GGUF " + s.path.string(), "finished with " + std::to_string(s.tensors.size() - s.next) + " tensors unwritten");
  s.out.flush();
  if (!s.out) throw make_error(ErrorKind::kIo, s.tmp.string(), "write failed (disk full?)");
  s.out.close();
  std::error_code ec;
  fs::rename(s.tmp, s.path, ec);
  if (ec) throw make_error(ErrorKind::kIo, s.path.string(), "cannot rename the finished file into place: " + ec.message());
  s.finished = true;
}

std::vector<uint8_t> encode_f16(const torch::Tensor& x) {
  const auto h = x.to(torch::kFloat16).contiguous();
  std::vector<uint8_t> out(static_cast<size_t>(h.numel()) * 2);
  std::memcpy(out.data(), h.data_ptr(), out.size());
  return out;
}

std::vector<uint8_t> encode_q8_0(const torch::Tensor& x) {
  const auto v = x.to(torch::kFloat32).reshape({-1, 32});
  const auto d = v.abs().amax(1) / 127.0f;                                   // (N)
  const auto id = torch::where(d > 0, 1.0f / d, torch::zeros_like(d));
  const auto y = v * id.unsqueeze(1);
  const auto q = (y.sign() * (y.abs() + 0.5f).floor()).to(torch::kInt8);  // roundf: half away from zero
  auto block = torch::empty({v.size(0), 34}, torch::kUInt8);
  block.narrow(1, 0, 2).copy_(d.to(torch::kFloat16).view(torch::kUInt8).view({-1, 2}));
  block.narrow(1, 2, 32).copy_(q.view(torch::kUInt8));
  return std::vector<uint8_t>(block.data_ptr<uint8_t>(), block.data_ptr<uint8_t>() + block.numel());
}

std::vector<uint8_t> encode_q4_1(const torch::Tensor& codes, const torch::Tensor& d, const torch::Tensor& m) {
  const auto q = codes.to(torch::kUInt8).reshape({-1, 32});
  auto block = torch::empty({q.size(0), 20}, torch::kUInt8);
  block.narrow(1, 0, 2).copy_(d.to(torch::kFloat32).to(torch::kFloat16).contiguous().view(torch::kUInt8).view({-1, 2}));
  block.narrow(1, 2, 2).copy_(m.to(torch::kFloat32).to(torch::kFloat16).contiguous().view(torch::kUInt8).view({-1, 2}));
  block.narrow(1, 4, 16).copy_(q.narrow(1, 0, 16).bitwise_or(q.narrow(1, 16, 16).bitwise_left_shift(4)));
  return std::vector<uint8_t>(block.data_ptr<uint8_t>(), block.data_ptr<uint8_t>() + block.numel());
}

}  // namespace irq
