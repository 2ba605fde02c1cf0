// Code packing for quantized tensors (layout in quantized_tensor.h).
#include "quant/quantized_tensor.h"

#include <cstring>

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

namespace {

// 8 bytes at a time: h = rotl(h ^ word, 29) * odd constant; the tail bytewise.
void mix(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h ^= w;
    h = ((h << 29) | (h >> 35)) * 0x9E3779B97F4A7C15ull;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  h ^= n;  // field boundaries count: ab|c differs from a|bc
  h *= 0xBF58476D1CE4E5B9ull;
}

template <typename T>
void mix_vector(uint64_t& h, const std::vector<T>& v) {
  mix(h, v.data(), v.size() * sizeof(T));
}

}  // namespace

uint64_t payload_hash(const QuantizedTensor& q) {
  uint64_t h = 0xcbf29ce484222325ull;
  mix_vector(h, q.shape);
  mix_vector(h, q.codes);
  mix_vector(h, q.absmax_q);
  mix_vector(h, q.absmax_scale);
  mix(h, &q.absmax_offset, sizeof q.absmax_offset);
  mix_vector(h, q.tau_q);
  mix_vector(h, q.tau_scale);
  mix_vector(h, q.scale);
  mix_vector(h, q.zero);
  return h;
}

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
