// A plain-NF4 model serialized as bitsandbytes / transformers save a
// load_in_4bit model (bitsandbytes QuantState.as_dict(packed=True)): for each
// quantized projection NAME
//   NAME.weight                                    U8  [ceil(numel/2), 1]  codes, high nibble first
//   NAME.weight.absmax                             U8  [nblocks]  double-quantized absmax
//   NAME.weight.quant_map                          F32 [16]       NF4 levels
//   NAME.weight.nested_absmax                      F32 [ceil(nblocks/256)]
//   NAME.weight.nested_quant_map                   F32 [256]      8-bit dynamic map
//   NAME.weight.quant_state.bitsandbytes__nf4      U8  [n]  JSON {"quant_type", "blocksize",
//       "dtype", "shape", "nested_blocksize", "nested_dtype", "nested_offset"}
// "dtype" float32 (dequantize_4bit returns that dtype; a bfloat16 state
// would round every dequantized weight before the compute dtype sees it),
// every other tensor in `dtype`, and config.json with a bitsandbytes
// quantization_config (nf4, double quant, compute dtype). Only plain NF4:
// bitsandbytes has no place for ICQ's tau, so an ICQ base is refused.
// The NF4 format's exporter: export --format bnb-nf4 (export/format_exporter.h).
#pragma once

#include <filesystem>

#include "export/hf_export.h"

namespace irq {

void export_bnb_nf4(LoadedModel& model, const std::filesystem::path& out, DType dtype, const ExportOptions& options);

}  // namespace irq
