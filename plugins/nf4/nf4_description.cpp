// What the NF4 / ICQ-NF4 format is, torch-free (QuantFormat's description
// entries; the light front end registers them too): 4 bits, blocks of B over
// the flattened weight, and its irq-checkpoint payload (quant/quantized_tensor.h):
//   codes U8 [nblocks * B / 2], absmax_q U8 [nblocks], absmax_scale F32 [groups],
//   absmax_offset F32 [1]; with ICQ tau_q U8 [nblocks], tau_scale F32 [groups]
// (groups = ceil(nblocks / stats_block)). Plain NF4 stores no tau (its tau is
// zero) but holds zeros in memory for its kernels; checkpoints written with
// those zeros still load.
#include <string>

#include "common/error.h"
#include "quant/dynamic_map.h"
#include "quant/quant_format.h"

namespace irq {

namespace {

std::vector<PayloadPart> parts(const std::vector<int64_t>& shape, const QuantSettings& s, bool with_tau) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  const int64_t nblocks = (numel + s.block_size - 1) / s.block_size, groups = (nblocks + s.stats_block - 1) / s.stats_block;
  std::vector<PayloadPart> out = {{"codes", DType::kU8, {nblocks * s.block_size / 2}},
                                  {"absmax_q", DType::kU8, {nblocks}},
                                  {"absmax_scale", DType::kF32, {groups}},
                                  {"absmax_offset", DType::kF32, {1}, /*scalar=*/true}};
  if (with_tau) out.insert(out.end(), {{"tau_q", DType::kU8, {nblocks}}, {"tau_scale", DType::kF32, {groups}}});
  return out;
}

}  // namespace

void register_nf4_format_description() {
  QuantFormat f;
  f.name = "nf4";
  f.description = "NF4 and ICQ-NF4 (bitsandbytes layout, IR-QLoRA information calibration)";
  f.bits = {4};
  f.default_n = 100;
  f.offset_symbol = "tau";
  f.offset_name = "offset tau";
  f.validate = [](const QuantSettings& s) {
    if (s.bits != 4) throw make_error(ErrorKind::kUsage, "quantization settings", "nf4 has 4 bits");
    if (s.block_size % 2 != 0)
      throw make_error(ErrorKind::kUsage, "quantization settings",
                       "nf4 block size must be even (two codes per byte), got " + std::to_string(s.block_size));
  };
  f.stored_parts = [](const std::vector<int64_t>& shape, const QuantSettings& s) { return parts(shape, s, s.icq); };
  f.resident_parts = [](const std::vector<int64_t>& shape, const QuantSettings& s) { return parts(shape, s, true); };
  f.optional_parts = [](const std::vector<int64_t>& shape, const QuantSettings& s) {
    if (s.icq) return std::vector<PayloadPart>{};
    auto all = parts(shape, s, true);
    return std::vector<PayloadPart>(all.end() - 2, all.end());  // tau written by older versions as zeros
  };
  f.finish_read = [](QuantizedTensor& q) {
    if (q.find_part<uint8_t>("tau_q")) return;
    const size_t nblocks = q.part<uint8_t>("absmax_q").size(), groups = q.part<float>("absmax_scale").size();
    q.part<uint8_t>("tau_q").assign(nblocks, kDynamicMapZero);  // plain NF4: tau = 0, as the quantizer holds it in memory
    q.part<float>("tau_scale").assign(groups, 0.0f);
  };
  f.recorded_parts = {"tau_q", "tau_scale"};  // the ICQ offsets, which adapters checked before the payload hash
  register_quant_format(std::move(f));
}

}  // namespace irq
