// Safetensors serialisation: JSON header with contiguous data_offsets.
#include "io/safetensors_writer.h"

#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"

namespace irq {

namespace {

// Header first, then each tensor's bytes streamed in order (no full copy in memory).
void write_stream(std::ostream& out, const std::vector<TensorBlob>& tensors,
                  const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__" || !seen.insert(t.name).second)
      throw make_error(ErrorKind::kUsage, "safetensors writer", "duplicate or reserved tensor name '" + t.name + "'");
    uint64_t bytes = dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      if (d < 0) throw make_error(ErrorKind::kUsage, "safetensors writer", "negative dimension in '" + t.name + "'");
      bytes *= static_cast<uint64_t>(d);
    }
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    sizes.push_back(bytes);
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  char len[8];
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(json.data(), static_cast<std::streamsize>(json.size()));
  for (size_t i = 0; i < tensors.size(); ++i)
    out.write(static_cast<const char*>(tensors[i].data), static_cast<std::streamsize>(sizes[i]));
}

}  // namespace

std::string serialize_safetensors(const std::vector<TensorBlob>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  std::ostringstream out;
  write_stream(out, tensors, metadata);
  return out.str();
}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorBlob>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, [&](std::ostream& out) { write_stream(out, tensors, metadata); });
}

}  // namespace irq
