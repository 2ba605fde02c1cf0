// What the INT-k format is, torch-free (QuantFormat's description entries;
// the light front end registers them too): 2, 3, 4 or 8 bits, groups of G
// columns per row (G = 0: one per row), GPTQ-capable, zero points per group,
// and its irq-checkpoint payload (quant/quantized_tensor.h):
//   codes U8 [ceil(numel * slot bits / 8)], scale F32 [rows * ngroups], zero F32 [rows * ngroups]
#include <string>

#include "common/error.h"
#include "quant/quant_format.h"

namespace irq {

void register_int_format_description() {
  QuantFormat f;
  f.name = "int";
  f.description = "INT2/3/4/8 asymmetric per-group quantization with IR-QLoRA information calibration";
  f.bits = {2, 3, 4, 8};
  f.default_n = 50;  // quantizer_icq.py's tau_n
  f.row_groups = true;
  f.gptq = true;
  f.zero_points = true;
  f.offset_symbol = "p";
  f.offset_name = "range multiplier p";
  f.validate = [](const QuantSettings& s) {
    if (s.bits != 2 && s.bits != 3 && s.bits != 4 && s.bits != 8)
      throw make_error(ErrorKind::kUsage, "quantization settings", "integer bits must be 2, 3, 4 or 8, got " + std::to_string(s.bits));
  };
  f.stored_parts = [](const std::vector<int64_t>& shape, const QuantSettings& s) {
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    const int64_t rows = shape.size() >= 2 ? shape[0] : 1, cols = numel / rows, G = s.group_columns(cols);
    const int64_t ngroups = (cols + G - 1) / G;
    return std::vector<PayloadPart>{{"codes", DType::kU8, {(numel * slot_bits(s.bits) + 7) / 8}},
                                    {"scale", DType::kF32, {rows * ngroups}},
                                    {"zero", DType::kF32, {rows * ngroups}}};
  };
  register_quant_format(std::move(f));
}

}  // namespace irq
