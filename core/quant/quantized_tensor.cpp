// Code packing for quantized tensors (layout in quantized_tensor.h).
#include "quant/quantized_tensor.h"

#include "common/error.h"

namespace irq {

int slot_bits(int bits) {
  switch (bits) {
    case 2: return 2;
    case 3:
    case 4: return 4;
    case 8: return 8;
  }
  throw make_error(ErrorKind::kUsage, "pack codes", "unsupported bit width " + std::to_string(bits));
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
