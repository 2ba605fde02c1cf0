// Settings of a blockwise quantizer run: the method ("nf4", "int2", "int3",
// "int4", "int8"), block/group size, and the ICQ search (on/off, lambda, n).
// Defaults follow IR-QLoRA: NF4 blocks of 64 with absmax and tau
// double-quantized in groups of 256 blocks; lambda 0.1; n 100 (NF4) / 50 (INT).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace irq {

struct QuantSettings {
  std::string method = "nf4";  // registry name of the format
  int bits = 4;
  int64_t block_size = 64;     // NF4: weights per block (flattened); INT: columns per group
  bool icq = true;
  double lambda = 0.1;
  int n = 100;                 // candidates per side: 2n+1 (NF4), 2n+1 (INT: 1 + n + n)
  int64_t stats_block = 256;   // NF4 double quantization: blocks per 8-bit group (absmax and tau)

  // "nf4", "int4", ...: sets method and bits; throws Error(kUsage) for unknown names.
  static QuantSettings for_method(const std::string& method);
  void validate() const;  // throws Error(kUsage) naming the bad setting
  nlohmann::json to_json() const;
  static QuantSettings from_json(const nlohmann::json& j, const std::string& source);
  std::string label() const;  // "ICQ-NF4 (block 64, lambda 0.1, n 100)"
  std::string short_name() const;  // "ICQ-NF4", "INT4"
};

}  // namespace irq
