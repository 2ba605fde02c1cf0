// What the NF4 / ICQ-NF4 format is, torch-free (QuantFormat's description
// entries; the light front end registers them too): 4 bits, blocks of B over
// the flattened weight, and its irq-checkpoint payload (quant/quantized_tensor.h):
//   codes U8 [nblocks * B / 2], absmax_q U8 [nblocks], absmax_scale F32 [groups],
//   absmax_offset F32 [1]; with ICQ tau_q U8 [nblocks], tau_scale F32 [groups]
// (groups = ceil(nblocks / stats_block)). Plain NF4 stores no tau (its tau is
// zero) but holds zeros in memory for its kernels; checkpoints written with
// those zeros still load.
#include <cstring>
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
                                  {"absmax_offset", DType::kF32, {1}}};
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
  f.part_data = [](const QuantizedTensor& q) {
    std::vector<const void*> out = {q.codes.data(), q.absmax_q.data(), q.absmax_scale.data(), &q.absmax_offset};
    if (q.settings.icq) out.insert(out.end(), {q.tau_q.data(), q.tau_scale.data()});
    return out;
  };
  f.set_part = [](QuantizedTensor& q, const std::string& suffix, const void* bytes, uint64_t size) {
    if (suffix == "codes") assign_part(q.codes, bytes, size);
    else if (suffix == "absmax_q") assign_part(q.absmax_q, bytes, size);
    else if (suffix == "absmax_scale") assign_part(q.absmax_scale, bytes, size);
    else if (suffix == "absmax_offset") std::memcpy(&q.absmax_offset, bytes, sizeof q.absmax_offset);
    else if (suffix == "tau_q") assign_part(q.tau_q, bytes, size);
    else if (suffix == "tau_scale") assign_part(q.tau_scale, bytes, size);
  };
  f.finish_read = [](QuantizedTensor& q) {
    if (!q.tau_q.empty()) return;
    q.tau_q.assign(q.absmax_q.size(), kDynamicMapZero);  // plain NF4: tau = 0, as the quantizer holds it in memory
    q.tau_scale.assign(q.absmax_scale.size(), 0.0f);
  };
  register_quant_format(std::move(f));
}

}  // namespace irq
