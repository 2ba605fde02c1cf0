// Quantized tensors: their parts, payload hash and code packing (layout in quantized_tensor.h).
#include "quant/quantized_tensor.h"

#include <cstring>
#include <type_traits>

#include "common/error.h"
#include "quant/quant_format.h"

namespace irq {

uint64_t QuantizedTensor::storage_bytes() const {
  uint64_t n = 0;
  for (const auto& part : require_quant_format(settings.method).stored_parts(shape, settings)) n += part.bytes();
  return n;
}

int slot_bits(int bits) {
  switch (bits) {
    case 2: return 2;
    case 3:
    case 4: return 4;
    case 8: return 8;
  }
  throw make_error(ErrorKind::kUsage, "pack codes", "unsupported bit width " + std::to_string(bits));
}

void PayloadHasher::mix(const void* data, size_t n) {
  // 8 bytes at a time: h = rotl(h ^ word, 29) * odd constant; the tail bytewise.
  const auto* p = static_cast<const uint8_t*>(data);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h_ ^= w;
    h_ = ((h_ << 29) | (h_ >> 35)) * 0x9E3779B97F4A7C15ull;
  }
  for (; i < n; ++i) h_ = (h_ ^ p[i]) * 0x100000001B3ull;
  h_ ^= n;  // field boundaries count: ab|c differs from a|bc
  h_ *= 0xBF58476D1CE4E5B9ull;
}

uint64_t payload_hash(const QuantizedTensor& q) {
  const QuantFormat& format = require_quant_format(q.settings.method);
  if (!format.payload_hash)
    throw make_error(ErrorKind::kUnsupported, "payload hash", "format '" + format.name + "' has no payload hash");
  return format.payload_hash(q);
}

namespace {

template <typename T>
const char* type_name() {
  return std::is_same_v<T, float> ? "f32" : "u8";
}

}  // namespace

template <typename T>
std::vector<T>& QuantizedTensor::part(const std::string& name) {
  for (auto& [n, values] : parts)
    if (n == name) {
      if (auto* v = std::get_if<std::vector<T>>(&values)) return *v;
      throw make_error(ErrorKind::kUsage, "quantized tensor", "part '" + name + "' is not " + type_name<T>());
    }
  parts.emplace_back(name, std::vector<T>{});
  return std::get<std::vector<T>>(parts.back().second);
}

template <typename T>
const std::vector<T>* QuantizedTensor::find_part(const std::string& name) const {
  for (const auto& [n, values] : parts)
    if (n == name) return std::get_if<std::vector<T>>(&values);
  return nullptr;
}

template <typename T>
const std::vector<T>& QuantizedTensor::part(const std::string& name) const {
  if (const auto* v = find_part<T>(name)) return *v;
  throw make_error(ErrorKind::kInvalidInput, "quantized tensor (" + settings.method + ")",
                   "has no " + std::string(type_name<T>()) + " part '" + name + "'");
}

std::pair<const void*, uint64_t> QuantizedTensor::part_bytes(const std::string& name) const {
  for (const auto& [n, values] : parts)
    if (n == name)
      return std::visit(
          [](const auto& v) { return std::pair<const void*, uint64_t>{v.data(), v.size() * sizeof(v[0])}; }, values);
  return {nullptr, 0};
}

template std::vector<uint8_t>& QuantizedTensor::part<uint8_t>(const std::string&);
template std::vector<float>& QuantizedTensor::part<float>(const std::string&);
template const std::vector<uint8_t>& QuantizedTensor::part<uint8_t>(const std::string&) const;
template const std::vector<float>& QuantizedTensor::part<float>(const std::string&) const;
template const std::vector<uint8_t>* QuantizedTensor::find_part<uint8_t>(const std::string&) const;
template const std::vector<float>* QuantizedTensor::find_part<float>(const std::string&) const;

std::vector<uint8_t> pack_codes(const uint8_t* codes, int64_t count, int bits) {
  const int slot = slot_bits(bits);
  const int per_byte = 8 / slot;
  std::vector<uint8_t> out(static_cast<size_t>((count + per_byte - 1) / per_byte), 0);
  for (int64_t i = 0; i < count; ++i) {
    const int shift = 8 - slot * (1 + static_cast<int>(i % per_byte));
    out[static_cast<size_t>(i / per_byte)] |= static_cast<uint8_t>(codes[i] << shift);
  }
  return out;
}

void unpack_codes(const uint8_t* packed, int64_t count, int bits, uint8_t* out) {
  const int slot = slot_bits(bits);
  const int per_byte = 8 / slot;
  const uint8_t mask = static_cast<uint8_t>((1u << slot) - 1);
  for (int64_t i = 0; i < count; ++i) {
    const int shift = 8 - slot * (1 + static_cast<int>(i % per_byte));
    out[i] = static_cast<uint8_t>((packed[i / per_byte] >> shift) & mask);
  }
}

}  // namespace irq
