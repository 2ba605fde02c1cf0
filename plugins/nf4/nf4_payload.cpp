// NF4's typed views of its payload (nf4_payload.h).
#include "nf4_payload.h"

#include "common/error.h"

namespace irq::nf4 {

Nf4Parts nf4_parts(QuantizedTensor& q) {
  auto& codes = q.codes();  // in the order the format declares them
  auto& absmax_q = q.part<uint8_t>("absmax_q");
  auto& absmax_scale = q.part<float>("absmax_scale");
  auto& absmax_offset = q.part<float>("absmax_offset");
  absmax_offset.resize(1);
  return {codes, absmax_q, absmax_scale, absmax_offset[0], q.part<uint8_t>("tau_q"), q.part<float>("tau_scale")};
}

Nf4View nf4_view(const DeviceQuantTensor& t) {
  Nf4View v;
  static_cast<QuantGeometry&>(v) = t;
  v.codes = t.get<uint8_t>("codes");
  v.absmax_q = t.get<uint8_t>("absmax_q");
  v.absmax_scale = t.get<float>("absmax_scale");
  v.absmax_offset = t.scalar("absmax_offset");
  v.tau_q = t.get<uint8_t>("tau_q");
  v.tau_scale = v.tau_q ? t.get<float>("tau_scale") : nullptr;
  if (!v.codes || !v.absmax_q || !v.absmax_scale || (v.tau_q && !v.tau_scale))
    throw make_error(ErrorKind::kInvalidInput, "nf4 weight", "its codes, absmax or tau parts are missing");
  return v;
}

Nf4View nf4_view(const QuantizedTensor& q) {
  const int64_t B = q.settings.block_size, numel = q.numel(), nblocks = (numel + B - 1) / B;
  const auto* codes = q.find_part<uint8_t>("codes");
  const auto* absmax_q = q.find_part<uint8_t>("absmax_q");
  if (!codes || !absmax_q || static_cast<int64_t>(absmax_q->size()) != nblocks || static_cast<int64_t>(codes->size()) * 2 < numel)
    throw make_error(ErrorKind::kInvalidInput, "nf4 tensor", "codes/scales do not match the shape");
  return nf4_view(host_view(q));
}

uint64_t payload_hash(const QuantizedTensor& q) {
  // The field order of the hash adapters store (irqlora.base.<module>.hash):
  // shape, codes, absmax_q, absmax_scale, absmax_offset, tau_q, tau_scale,
  // then the two slots of the INT fields of the layout it was defined on,
  // absent here. Changing it refuses their bases.
  PayloadHasher h;
  h.mix(q.shape);
  h.mix(q.codes());
  h.mix(q.part<uint8_t>("absmax_q"));
  h.mix(q.part<float>("absmax_scale"));
  const float offset = q.part<float>("absmax_offset").at(0);
  h.mix(&offset, sizeof offset);
  if (const auto* tau_q = q.find_part<uint8_t>("tau_q")) h.mix(*tau_q);
  else h.mix_empty();
  if (const auto* tau_scale = q.find_part<float>("tau_scale")) h.mix(*tau_scale);
  else h.mix_empty();
  h.mix_empty();
  h.mix_empty();
  return h.value();
}

}  // namespace irq::nf4
