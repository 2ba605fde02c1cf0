// INT-k's typed views of its payload, its hash and its affine form (int_payload.h).
#include "int_payload.h"

#include "common/error.h"

namespace irq::intq {

IntParts int_parts(QuantizedTensor& q) {
  return {q.codes(), q.part<float>("scale"), q.part<float>("zero")};
}

IntView int_view(const DeviceQuantTensor& t) {
  IntView v;
  static_cast<QuantGeometry&>(v) = t;
  v.codes = t.get<uint8_t>("codes");
  v.scale = t.get<float>("scale");
  v.zero = t.get<float>("zero");
  if (!v.codes || !v.scale || !v.zero) throw make_error(ErrorKind::kInvalidInput, "int weight", "its codes, scale or zero parts are missing");
  return v;
}

IntView int_view(const QuantizedTensor& q) {
  const QuantGeometry g = geometry_of(q);
  const int64_t G = q.settings.group_columns(g.cols), groups = g.rows * ((g.cols + G - 1) / G);
  const auto* scale = q.find_part<float>("scale");
  const auto* zero = q.find_part<float>("zero");
  if (!q.find_part<uint8_t>("codes") || !scale || !zero || static_cast<int64_t>(scale->size()) != groups || zero->size() != scale->size())
    throw make_error(ErrorKind::kInvalidInput, "int tensor", "codes/scales do not match the shape");
  return int_view(host_view(q));
}

uint64_t payload_hash(const QuantizedTensor& q) {
  // The field order of the hash adapters store (irqlora.base.<module>.hash):
  // shape, codes, then the slots of the payload layout it was defined on
  // (NF4's absmax_q, absmax_scale, a zero absmax_offset, tau_q, tau_scale,
  // all absent here), then scale and zero. Changing it refuses their bases.
  PayloadHasher h;
  h.mix(q.shape);
  h.mix(q.codes());
  h.mix_empty();
  h.mix_empty();
  const float no_offset = 0.0f;
  h.mix(&no_offset, sizeof no_offset);
  h.mix_empty();
  h.mix_empty();
  h.mix(q.part<float>("scale"));
  h.mix(q.part<float>("zero"));
  return h.value();
}

AffineGroups affine_groups(const QuantizedTensor& q) {
  const IntView v = int_view(q);  // checks the parts against the shape
  AffineGroups g;
  g.codes.resize(static_cast<size_t>(v.numel));
  unpack_codes(v.codes, v.numel, q.settings.bits, g.codes.data());
  g.scale = q.part<float>("scale");
  g.zero = q.part<float>("zero");
  return g;
}

QuantizedTensor from_affine_groups(const QuantSettings& s, const std::vector<int64_t>& shape, AffineGroups g) {
  QuantizedTensor q;
  q.settings = s;
  q.shape = shape;
  if (static_cast<int64_t>(g.codes.size()) != q.numel() || g.scale.size() != g.zero.size())
    throw make_error(ErrorKind::kUsage, "int tensor", "affine groups do not match the shape");
  const IntParts p = int_parts(q);
  p.codes = pack_codes(g.codes.data(), q.numel(), s.bits);
  p.scale = std::move(g.scale);
  p.zero = std::move(g.zero);
  return q;
}

}  // namespace irq::intq
