// Header-first safetensors writing.
#include "io/safetensors_stream_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <set>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"

namespace irq {

namespace fs = std::filesystem;

uint64_t TensorSpec::bytes() const {
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

SafetensorsStreamWriter::SafetensorsStreamWriter(const fs::path& path, std::vector<TensorSpec> specs,
                                                 const std::map<std::string, std::string>& metadata)
    : path_(path), specs_(std::move(specs)) {
  tmp_ = temp_sibling(path);
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& s : specs_) {
    if (s.name == "__metadata__" || !seen.insert(s.name).second)
      throw make_error(ErrorKind::kUsage, path.string(), "duplicate or reserved tensor name '" + s.name + "'");
    header[s.name] = {{"dtype", dtype_name(s.dtype)}, {"shape", s.shape}, {"data_offsets", {offset, offset + s.bytes()}}};
    offset += s.bytes();
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw make_error(ErrorKind::kIo, path.string(), "cannot create " + tmp_.string());
  char len[8];
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out_.write(len, 8);
  out_.write(json.data(), static_cast<std::streamsize>(json.size()));
}

SafetensorsStreamWriter::~SafetensorsStreamWriter() {
  if (finished_) return;
  out_.close();
  std::error_code ec;
  fs::remove(tmp_, ec);
}

const std::string& SafetensorsStreamWriter::next_name() const {
  static const std::string none;
  return done() ? none : specs_[next_].name;
}

void SafetensorsStreamWriter::write(const std::string& name, const void* data, uint64_t bytes) {
  if (done()) throw make_error(ErrorKind::kUsage, path_.string(), "tensor '" + name + "' written after the last one");
  const TensorSpec& s = specs_[next_];
  if (name != s.name) throw make_error(ErrorKind::kUsage, path_.string(), "expected tensor '" + s.name + "', got '" + name + "'");
  if (bytes != s.bytes())
    throw make_error(ErrorKind::kUsage, path_.string(), "tensor '" + name + "': " + std::to_string(bytes) + " bytes, declared " +
                                                            std::to_string(s.bytes()));
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out_) throw make_error(ErrorKind::kIo, path_.string(), "write failed (disk full?)");
  ++next_;
}

void SafetensorsStreamWriter::finish() {
  if (!done()) throw make_error(ErrorKind::kUsage, path_.string(), "tensor '" + next_name() + "' was never written");
  out_.flush();
  if (!out_) throw make_error(ErrorKind::kIo, path_.string(), "write failed (disk full?)");
  out_.close();
  int fd = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) throw make_error(ErrorKind::kIo, path_.string(), "cannot rename into place: " + ec.message());
  finished_ = true;
}

}  // namespace irq
