// A quantized weight as torch tensors: host/device moves, its FrozenWeight
// side, and the helpers its format dequantizes it with.
#include "quant/quantized_weight.h"

#include <algorithm>

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

QuantizedWeight QuantizedWeight::from_host(const QuantizedTensor& q, const torch::Device& device) {
  QuantizedWeight w;
  w.settings = q.settings;
  w.shape = q.shape;
  w.codes = to_tensor(q.codes, torch::kUInt8, device);
  w.absmax_q = to_tensor(q.absmax_q, torch::kUInt8, device);
  w.absmax_scale = to_tensor(q.absmax_scale, torch::kFloat32, device);
  w.absmax_offset = q.absmax_offset;
  w.tau_q = to_tensor(q.tau_q, torch::kUInt8, device);
  w.tau_scale = to_tensor(q.tau_scale, torch::kFloat32, device);
  w.scale = to_tensor(q.scale, torch::kFloat32, device);
  w.zero = to_tensor(q.zero, torch::kFloat32, device);
  return w;
}

QuantizedTensor QuantizedWeight::to_host() const {
  QuantizedTensor q;
  q.settings = settings;
  q.shape = shape;
  q.codes = to_vector<uint8_t>(codes);
  q.absmax_q = to_vector<uint8_t>(absmax_q);
  q.absmax_scale = to_vector<float>(absmax_scale);
  q.absmax_offset = absmax_offset;
  q.tau_q = to_vector<uint8_t>(tau_q);
  q.tau_scale = to_vector<float>(tau_scale);
  q.scale = to_vector<float>(scale);
  q.zero = to_vector<float>(zero);
  return q;
}

QuantizedWeight QuantizedWeight::to(const torch::Device& device) const {
  QuantizedWeight w = *this;
  for (torch::Tensor* t : {&w.codes, &w.absmax_q, &w.absmax_scale, &w.tau_q, &w.tau_scale, &w.scale, &w.zero})
    if (t->defined()) *t = t->to(device);
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
  int64_t n = 0;
  for (const torch::Tensor* t : {&codes, &absmax_q, &absmax_scale, &tau_q, &tau_scale, &scale, &zero})
    if (t->defined()) n += t->numel() * static_cast<int64_t>(t->element_size());
  return n;
}

DeviceQuantTensor quant_view(const QuantizedWeight& w) {
  auto f32 = [](const torch::Tensor& x) { return x.defined() && x.numel() > 0 ? x.data_ptr<float>() : nullptr; };
  auto u8 = [](const torch::Tensor& x) { return x.defined() && x.numel() > 0 ? x.data_ptr<uint8_t>() : nullptr; };
  DeviceQuantTensor t;
  t.settings = &w.settings;
  t.numel = w.numel();
  t.rows = w.shape.size() >= 2 ? w.shape[0] : 1;
  t.cols = t.numel / std::max<int64_t>(t.rows, 1);
  t.codes = u8(w.codes);
  t.absmax_q = u8(w.absmax_q);
  t.absmax_scale = f32(w.absmax_scale);
  t.absmax_offset = w.absmax_offset;
  t.tau_q = u8(w.tau_q);
  t.tau_scale = f32(w.tau_scale);
  t.scale = f32(w.scale);
  t.zero = f32(w.zero);
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
