// The format table (quant_format.h): formats in order of registration, found
// by method name through each format's own list of methods.
#include "quant/quant_format.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/join.h"
#include "common/named_registry.h"

namespace irq {

namespace {

NamedRegistry<QuantFormat>& table() {
  static NamedRegistry<QuantFormat> t;
  return t;
}

}  // namespace

uint64_t PayloadPart::bytes() const {
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

QuantGeometry geometry_of(const QuantizedTensor& q) {
  QuantGeometry g;
  g.settings = &q.settings;
  g.numel = q.numel();
  g.rows = q.shape.size() >= 2 ? q.shape[0] : 1;
  g.cols = g.numel / std::max<int64_t>(g.rows, 1);
  return g;
}

void DeviceQuantTensor::add(std::string_view name, const void* data, float value) {
  if (part_count == kMaxParts)
    throw make_error(ErrorKind::kUsage, "quantized weight", "more than " + std::to_string(kMaxParts) + " parts");
  parts[part_count++] = {name, data, value};
}

float DeviceQuantTensor::scalar(std::string_view name) const {
  for (int i = 0; i < part_count; ++i)
    if (parts[i].name == name) return parts[i].value;
  return 0.0f;
}

std::vector<PayloadPart> held_parts(const std::vector<int64_t>& shape, const QuantSettings& s) {
  const QuantFormat& f = require_quant_format(s.method);
  return (f.resident_parts ? f.resident_parts : f.stored_parts)(shape, s);
}

DeviceQuantTensor host_view(const QuantizedTensor& q) {
  DeviceQuantTensor t;
  static_cast<QuantGeometry&>(t) = geometry_of(q);
  const auto declared = held_parts(q.shape, q.settings);
  for (const auto& [name, values] : q.parts) {
    const auto [data, bytes] = q.part_bytes(name);
    const auto p = std::find_if(declared.begin(), declared.end(), [&](const PayloadPart& d) { return d.suffix == name; });
    const auto* f = std::get_if<std::vector<float>>(&values);
    if (p != declared.end() && p->scalar && f && f->size() == 1) t.add(name, nullptr, f->front());
    else t.add(name, bytes > 0 ? data : nullptr);
  }
  return t;
}

std::vector<std::string> checkpoint_part_suffixes(const std::vector<int64_t>& shape, const QuantSettings& s) {
  const QuantFormat& f = require_quant_format(s.method);
  std::vector<std::string> out;
  for (const auto& p : f.stored_parts(shape, s)) out.push_back(p.suffix);
  if (f.optional_parts)
    for (const auto& p : f.optional_parts(shape, s)) out.push_back(p.suffix);
  return out;
}

std::string method_name(const QuantFormat& format, int bits) {
  return format.bits.size() == 1 ? format.name : format.name + std::to_string(bits);
}

void register_quant_format(QuantFormat format) { table().put(std::move(format)); }  // the full row replaces a description-only one

const QuantFormat* find_quant_format(const std::string& method) {
  return table().find_if([&](const QuantFormat& f) {
    if (f.name == method) return true;
    for (int b : f.bits)
      if (method_name(f, b) == method) return true;
    return false;
  });
}

const QuantFormat& require_quant_format(const std::string& method) {
  if (const QuantFormat* f = find_quant_format(method)) return *f;
  const std::string have = join(quant_format_names());
  throw make_error(ErrorKind::kUnsupported, "quantization method '" + method + "'",
                   "no format provides it (formats in this build: " + (have.empty() ? std::string("none registered") : have) + ")");
}

std::vector<std::string> quant_format_names() { return table().names(); }

std::vector<std::string> quant_method_names() {
  std::vector<std::string> names;
  for (const QuantFormat* f : table().entries())
    for (int b : f->bits) names.push_back(method_name(*f, b));
  return names;
}

void throw_non_finite(const std::string& name, int64_t index, float value) {
  throw make_error(ErrorKind::kInvalidInput, "tensor '" + name + "'",
                   std::string(std::isnan(value) ? "NaN" : "Inf") + " at flat index " + std::to_string(index) +
                       ": cannot quantize non-finite weights");
}

void check_finite(const float* w, int64_t n, const std::string& name) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(w[i])) throw_non_finite(name, i, w[i]);
}

}  // namespace irq
