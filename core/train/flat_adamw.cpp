// The AdamW update chunk by chunk; moments on the device or streamed from the host.
#include "train/flat_adamw.h"

#include <cmath>

#include "common/error.h"

namespace irq {

FlatAdamW::FlatAdamW(torch::Tensor flat, FlatAdamWOptions options) : flat_(std::move(flat)), options_(options) {
  if (flat_.dim() != 1 || flat_.scalar_type() != torch::kFloat32 || !flat_.grad().defined())
    throw make_error(ErrorKind::kUsage, "optimizer", "FlatAdamW needs one float32 vector with a gradient");
  if (options_.chunk < 1) throw make_error(ErrorKind::kUsage, "optimizer", "chunk must be >= 1");
  torch::optim::AdamWOptions o(options_.lr);
  o.weight_decay(options_.weight_decay).betas({options_.beta1, options_.beta2}).eps(options_.eps);
  // Offloaded, the state belongs to a host tensor of the same size; torch::empty
  // maps no pages, so it costs no memory.
  anchor_ = options_.offload ? torch::empty({flat_.numel()}, torch::kFloat32) : flat_;
  optimizer_ = std::make_unique<torch::optim::AdamW>(std::vector<torch::Tensor>{anchor_}, o);
}

torch::optim::AdamWParamState& FlatAdamW::state() {
  auto& states = optimizer_->state();
  void* key = anchor_.unsafeGetTensorImpl();
  if (states.find(key) == states.end()) {
    // Zero moments where this mode keeps them (pinned host memory when offloaded from CUDA).
    const auto home = options_.offload ? torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(flat_.is_cuda())
                                       : flat_.options();
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(0);
    s->exp_avg(torch::zeros({flat_.numel()}, home));
    s->exp_avg_sq(torch::zeros({flat_.numel()}, home));
    states[key] = std::move(s);
  }
  return static_cast<torch::optim::AdamWParamState&>(*states[key]);
}

void FlatAdamW::place_state(const std::string& where) {
  auto& states = optimizer_->state();
  const auto it = states.find(anchor_.unsafeGetTensorImpl());
  if (it == states.end()) return;
  auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
  const bool pin = options_.offload && flat_.is_cuda();
  auto place = [&](const torch::Tensor& t) {
    if (t.numel() != flat_.numel())
      throw make_error(ErrorKind::kInvalidInput, where,
                       "holds " + std::to_string(t.numel()) + " moments for " + std::to_string(flat_.numel()) + " trainable values");
    auto out = t.to(options_.offload ? torch::Device(torch::kCPU) : flat_.device(), torch::kFloat32).contiguous();
    return pin && !out.is_pinned() ? out.pin_memory() : out;
  };
  s.exp_avg(place(s.exp_avg()));
  s.exp_avg_sq(place(s.exp_avg_sq()));
}

void FlatAdamW::step() {
  torch::NoGradGuard no_grad;
  auto& s = state();
  s.step(s.step() + 1);
  const double bias_correction1 = 1 - std::pow(options_.beta1, static_cast<double>(s.step()));
  const double bias_correction2 = 1 - std::pow(options_.beta2, static_cast<double>(s.step()));
  const double step_size = options_.lr / bias_correction1;
  // Offloaded, each chunk of the moments is copied to the device, updated
  // there and copied back (across PCIe on CUDA; on the CPU the same path
  // copies within host memory, so the CPU tests run the streaming code).
  const bool stream = options_.offload;
  const torch::Tensor grad = flat_.grad();
  const int64_t n = flat_.numel();
  for (int64_t at = 0; at < n; at += options_.chunk) {
    const int64_t len = std::min(options_.chunk, n - at);
    auto p = flat_.narrow(0, at, len);
    auto g = grad.narrow(0, at, len);
    auto m_home = s.exp_avg().narrow(0, at, len), v_home = s.exp_avg_sq().narrow(0, at, len);
    auto m = stream ? m_home.to(flat_.device(), torch::kFloat32, /*non_blocking=*/false, /*copy=*/true) : m_home;
    auto v = stream ? v_home.to(flat_.device(), torch::kFloat32, /*non_blocking=*/false, /*copy=*/true) : v_home;
    if (options_.weight_decay != 0) p.mul_(1 - options_.lr * options_.weight_decay);
    m.mul_(options_.beta1).add_(g, 1 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(g, g, 1 - options_.beta2);
    const auto denom = (v.sqrt() / std::sqrt(bias_correction2)).add_(options_.eps);
    p.addcdiv_(m, denom, -step_size);
    if (stream) {
      m_home.copy_(m);
      v_home.copy_(v);
    }
  }
}

void FlatAdamW::save(const std::filesystem::path& file) const {
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(options_.lr);
  torch::save(*optimizer_, file.string());
}

void FlatAdamW::load(const std::filesystem::path& file) {
  try {
    torch::load(*optimizer_, file.string());
  } catch (const c10::Error& e) {
    throw make_error(ErrorKind::kInvalidInput, file.string(), std::string("not an AdamW state: ") + e.what_without_backtrace());
  }
  place_state(file.string());  // a checkpoint from the other mode or device
}

}  // namespace irq
