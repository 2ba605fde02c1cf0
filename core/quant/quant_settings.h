// Settings of a blockwise quantizer run: the method ("nf4", "int2", "int3",
// "int4", "int8"), block/group size, the ICQ search (on/off, lambda, n) and,
// for INT-k, GPTQ. Defaults follow IR-QLoRA: NF4 blocks of 64 with absmax and
// tau double-quantized in groups of 256 blocks; lambda 0.1; n 100 (NF4) / 50
// (INT, quantizer_icq.py's tau_n); GPTQ as AutoGPTQ (damp 0.01, 128 x 2048
// calibration tokens).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace irq {

// GPTQ (Frantar et al. 2022) as AutoGPTQ runs it, for INT-k: codes chosen
// column by column with the error fed back through the inverse Hessian of the
// layer's calibration inputs; with ICQ the entropy search of IR-QLoRA's
// quantizer_icq.py replaces find_params (core/quant/gptq/).
struct GptqSettings {
  bool enabled = false;
  bool sym = false;        // symmetric range, zero = 2^(k-1) (AutoGPTQ's sym)
  bool act_order = false;  // columns by descending Hessian diagonal; groups stay static (contiguous)
  double damp = 0.01;      // percdamp: H += damp * mean(diag H) * I
  std::string calib;       // calibration text file, tokenized with the model's tokenizer
  int64_t nsamples = 128;  // segments of seqlen tokens
  int64_t seqlen = 2048;
  uint64_t seed = 0;       // segment starts (gptq/calibration.h)
};

struct QuantSettings {
  std::string method = "nf4";  // registry name of the format
  int bits = 4;
  int64_t block_size = 64;     // NF4: weights per block (flattened); INT: columns per group, 0 = per channel (row)
  bool icq = true;
  double lambda = 0.1;
  int n = 100;                 // candidates per side: 2n+1 (NF4), 2n+1 (INT: 1 + n + n)
  int64_t stats_block = 256;   // NF4 double quantization: blocks per 8-bit group (absmax and tau)
  GptqSettings gptq;           // INT only

  // Columns per INT group of a weight with `cols` columns (per channel: all).
  int64_t group_columns(int64_t cols) const { return block_size > 0 ? block_size : cols; }

  // "nf4", "int4", ...: sets method and bits; throws Error(kUsage) for unknown names.
  static QuantSettings for_method(const std::string& method);
  void validate() const;  // throws Error(kUsage) naming the bad setting
  nlohmann::json to_json() const;
  static QuantSettings from_json(const nlohmann::json& j, const std::string& source);
  std::string label() const;  // "ICQ-NF4 (block 64, lambda 0.1, n 100)"
  std::string short_name() const;  // "ICQ-NF4", "INT4", "GPTQ-ICQ-INT3"
};

}  // namespace irq
