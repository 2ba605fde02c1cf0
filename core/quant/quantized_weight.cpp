// A quantized weight as torch tensors: host/device moves, its FrozenWeight
// side, and the helpers its format dequantizes it with.
#include "quant/quantized_weight.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "common/error.h"
#include "model/layers.h"
#include "quant/quantized_linear.h"
#include "quant/quant_format.h"
#include "quant/quant_view.h"
#include "quant/dynamic_map.h"

namespace irq {

namespace {

template <typename T>
torch::Tensor to_tensor(const std::vector<T>& v, torch::ScalarType type, const torch::Device& device) {
  if (v.empty()) return torch::empty({0}, torch::TensorOptions().dtype(type).device(device));
  return torch::from_blob(const_cast<T*>(v.data()), {static_cast<int64_t>(v.size())}, type).clone().to(device);
}

template <typename T>
std::vector<T> to_vector(const torch::Tensor& t) {
  if (!t.defined() || t.numel() == 0) return {};
  auto c = t.to(torch::kCPU).contiguous();
  return std::vector<T>(c.data_ptr<T>(), c.data_ptr<T>() + c.numel());
}

}  // namespace

torch::Tensor unpack_codes_tensor(const torch::Tensor& packed, int bits, int64_t count) {
  const int slot = slot_bits(bits);
  const int per_byte = 8 / slot;
  auto p = packed.to(torch::kInt64);
  std::vector<torch::Tensor> parts;
  for (int k = 0; k < per_byte; ++k) parts.push_back(p.bitwise_right_shift(8 - slot * (k + 1)).bitwise_and((1 << slot) - 1));
  return torch::stack(parts, /*dim=*/1).reshape({-1}).narrow(0, 0, count);
}

torch::Tensor dequantize_dynamic_8bit(const torch::Tensor& q, const torch::Tensor& scale, int64_t group) {
  const auto& m = dynamic_map_8bit();
  auto map = torch::from_blob(const_cast<float*>(m.data()), {256}, torch::kFloat32).to(q.device());
  auto per_block = scale.repeat_interleave(group).narrow(0, 0, q.numel());
  return map.index_select(0, q.to(torch::kInt64)) * per_block;
}

const torch::Tensor* QuantizedWeight::find_part(const std::string& name) const {
  for (const auto& [n, t] : parts)
    if (n == name) return &t;
  return nullptr;
}

const torch::Tensor& QuantizedWeight::part(const std::string& name) const {
  if (const auto* t = find_part(name)) return *t;
  throw make_error(ErrorKind::kInvalidInput, "quantized weight (" + settings.method + ")", "has no part '" + name + "'");
}

float QuantizedWeight::scalar(const std::string& name) const {
  for (const auto& [n, v] : scalars)
    if (n == name) return v;
  return 0.0f;
}

QuantizedWeight QuantizedWeight::from_host(const QuantizedTensor& q, const torch::Device& device) {
  QuantizedWeight w;
  w.settings = q.settings;
  w.shape = q.shape;
  const auto declared = held_parts(q.shape, q.settings);
  auto is_scalar = [&](const std::string& name) {
    for (const auto& p : declared)
      if (p.suffix == name) return p.scalar;
    return false;
  };
  for (const auto& [name, values] : q.parts) {
    if (const auto* f = std::get_if<std::vector<float>>(&values); f && is_scalar(name)) {
      if (f->size() != 1)
        throw make_error(ErrorKind::kInvalidInput, "quantized weight (" + q.settings.method + ")",
                         "scalar part '" + name + "' holds " + std::to_string(f->size()) + " values");
      w.scalars.emplace_back(name, f->front());
      continue;
    }
    w.parts.emplace_back(name, std::visit(
                                   [&](const auto& v) {
                                     using T = typename std::decay_t<decltype(v)>::value_type;
                                     return to_tensor(v, std::is_same_v<T, float> ? torch::kFloat32 : torch::kUInt8, device);
                                   },
                                   values));
  }
  return w;
}

QuantizedTensor QuantizedWeight::to_host() const {
  QuantizedTensor q;
  q.settings = settings;
  q.shape = shape;
  auto put = [&](const std::string& name) {
    if (const auto* t = find_part(name)) {
      if (t->scalar_type() == torch::kFloat32) q.part<float>(name) = to_vector<float>(*t);
      else q.part<uint8_t>(name) = to_vector<uint8_t>(*t);
    }
    for (const auto& [n, v] : scalars)
      if (n == name) q.part<float>(name) = {v};
  };
  // In the format's order (as its quantizer and the checkpoint reader lay
  // them out, so payloads compare equal part by part), then any others.
  for (const auto& p : held_parts(shape, settings)) put(p.suffix);
  for (const auto& [name, t] : parts)
    if (!q.find_part<uint8_t>(name) && !q.find_part<float>(name)) put(name);
  for (const auto& [name, v] : scalars)
    if (!q.find_part<float>(name)) put(name);
  return q;
}

QuantizedWeight QuantizedWeight::to(const torch::Device& device) const {
  QuantizedWeight w = *this;
  for (auto& [name, t] : w.parts)
    if (t.defined()) t = t.to(device);
  return w;
}

torch::Tensor QuantizedWeight::linear(const torch::Tensor& x, const torch::Tensor& bias) const {
  return quantized_linear(x, *this, bias);  // no whole dequantized weight
}

std::shared_ptr<FrozenWeight> QuantizedWeight::to_device(const torch::Device& device) const {
  return std::make_shared<QuantizedWeight>(to(device));
}

const QuantizedWeight* quantized_weight(const LinearImpl& layer) {
  return dynamic_cast<const QuantizedWeight*>(layer.frozen_weight.get());
}

void set_quantized(LinearImpl& layer, QuantizedWeight q) { layer.set_frozen_weight(std::make_shared<QuantizedWeight>(std::move(q))); }

int64_t QuantizedWeight::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t QuantizedWeight::storage_bytes() const {
  int64_t n = static_cast<int64_t>(scalars.size() * sizeof(float));
  for (const auto& [name, t] : parts)
    if (t.defined()) n += t.numel() * static_cast<int64_t>(t.element_size());
  return n;
}

DeviceQuantTensor quant_view(const QuantizedWeight& w) {
  DeviceQuantTensor t;
  t.settings = &w.settings;
  t.numel = w.numel();
  t.rows = w.shape.size() >= 2 ? w.shape[0] : 1;  // as geometry_of lays a host tensor out
  t.cols = t.numel / std::max<int64_t>(t.rows, 1);
  for (const auto& [name, x] : w.parts) t.add(name, x.defined() && x.numel() > 0 ? x.data_ptr() : nullptr);
  for (const auto& [name, v] : w.scalars) t.add(name, nullptr, v);
  return t;
}

torch::Tensor QuantizedWeight::dequantize(torch::ScalarType dtype) const {
  torch::NoGradGuard no_grad;
  const QuantFormat& format = require_quant_format(settings.method);
  if (!format.dequantize_weight)
    throw make_error(ErrorKind::kUnsupported, "dequantize", "format '" + format.name + "' cannot dequantize a held weight");
  return format.dequantize_weight(*this, dtype);
}

}  // namespace irq
