// A quantized weight as plain data (CPU vectors), the unit that quantizers
// produce, dequantizers read, QuantLinear holds and exporters write.
//
// Its payload belongs to its format: named parts (QuantFormat::resident_parts
// says which, with their types and shapes; the irq checkpoint stores each as
// NAME.<part>), which only the format's plugin interprets. Every format's
// packed codes are the part "codes". The built-in formats' layouts:
//
// NF4 / ICQ-NF4 (plugins/nf4: blocks of B over the row-major flattened
// weight, last block zero-padded; bitsandbytes layout):
//   codes        u8  [ceil(numel/B) * B / 2]  two 4-bit codes per byte, high nibble first
//   absmax_q     u8  [nblocks]   8-bit dynamic-map index of (absmax - absmax_offset)
//   absmax_scale f32 [ceil(nblocks/256)]  max |absmax - offset| per group of 256 blocks
//   absmax_offset f32 [1]        mean absmax (bitsandbytes compress_statistics)
//   tau_q        u8  [nblocks]   8-bit dynamic-map index of tau (ICQ)
//   tau_scale    f32 [ceil(nblocks/256)]  max |tau| per group of 256 blocks
//   Plain NF4 (ICQ off) has tau = 0: in memory tau_q = kDynamicMapZero and
//   tau_scale = 0 (so its kernels are ICQ-NF4's), but nothing is stored and
//   nothing counted: bits/weight = 4 + 8/B (absmax_q) + 32/(B*256)
//   (absmax_scale) + 32/numel (absmax_offset) = 4.127 for B = 64, as
//   bitsandbytes' NF4 with double quantization; ICQ-NF4 adds 8/B + 32/(B*256)
//   for tau (4.254).
//   w ~ NF4[code] * dq(absmax) + dq(tau),  dq(v) = DYN8[v_q] * scale (+ offset for absmax)
// INT-k (plugins/int: asymmetric, per row and group of G columns; last group may be short):
//   codes  u8 [rows * cols packed]: k = 2: 4 per byte, k = 3, 4: 2 per byte (4-bit slots),
//          k = 8: 1 per byte; high bits first; rows are not padded to bytes (flat stream)
//   scale  f32 [rows * ngroups], zero f32 [rows * ngroups];  w ~ scale * (code - zero)
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "quant/quant_settings.h"

namespace irq {

// One part's values: bytes (DType::kU8) or float32 (DType::kF32).
using PartValues = std::variant<std::vector<uint8_t>, std::vector<float>>;

struct QuantizedTensor {
  QuantSettings settings;
  std::vector<int64_t> shape;
  // The format's parts, in the order they were added. A deque: adding a
  // part leaves references to the others valid.
  std::deque<std::pair<std::string, PartValues>> parts;

  // The part `name` holding T, added empty when absent; Error(kUsage)
  // when it holds the other type. The reference stays valid as parts are
  // added (not when they are cleared).
  template <typename T>
  std::vector<T>& part(const std::string& name);
  // The part `name` holding T; Error(kInvalidInput) naming it when absent
  // (or of the other type).
  template <typename T>
  const std::vector<T>& part(const std::string& name) const;
  // Null when absent (or of the other type).
  template <typename T>
  const std::vector<T>* find_part(const std::string& name) const;
  // Its bytes and their count; {nullptr, 0} when absent.
  std::pair<const void*, uint64_t> part_bytes(const std::string& name) const;

  std::vector<uint8_t>& codes() { return part<uint8_t>("codes"); }
  const std::vector<uint8_t>& codes() const { return part<uint8_t>("codes"); }

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t cols() const { return shape.empty() ? 1 : numel() / shape[0]; }
  // Bytes it stores: its format's stored parts (QuantFormat::stored_parts),
  // so bits/weight = 8 * storage_bytes() / numel() counts what is on disk.
  uint64_t storage_bytes() const;
};

// A 64-bit fingerprint of the whole payload (shape, codes, every scale,
// offset and tau): its format's payload_hash, for checking that a rebuilt
// base is the one an adapter was trained on. Not cryptographic.
uint64_t payload_hash(const QuantizedTensor& q);

// The mixing payload_hash's entries build on: fields fed in a fixed order.
class PayloadHasher {
 public:
  void mix(const void* data, size_t bytes);
  template <typename T>
  void mix(const std::vector<T>& v) {
    mix(v.data(), v.size() * sizeof(T));
  }
  void mix_empty() { mix(nullptr, 0); }  // a field this payload does not hold
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

// Codes packed as the layout above says; `bits` 2, 3, 4 or 8.
std::vector<uint8_t> pack_codes(const uint8_t* codes, int64_t count, int bits);
void unpack_codes(const uint8_t* packed, int64_t count, int bits, uint8_t* out);
int slot_bits(int bits);  // storage bits per code: 2 -> 2, 3 -> 4, 4 -> 4, 8 -> 8

}  // namespace irq
