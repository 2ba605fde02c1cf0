// LoRA / IEC-LoRA update with a hand-written backward (see lora_delta.h).
#include "lora/lora_delta.h"

#include <torch/autograd.h>

namespace irq {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct LoraDeltaFn : torch::autograd::Function<LoraDeltaFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B,
                               const torch::Tensor& beta_a, const torch::Tensor& beta_b, const torch::Tensor& G,
                               const torch::Tensor& R, double scaling, bool iec) {
    const auto A2 = iec ? torch::addcmul(A, beta_a, G) : A;                     // (r, d_in)
    const auto B2s = (iec ? torch::addcmul(B, beta_b, R) : B) * scaling;        // (d_out, r)
    const auto x2 = x.reshape({-1, x.size(-1)});                                // (N, d_in)
    const auto u = torch::mm(x2.to(A.scalar_type()), A2.t());                   // (N, r)
    auto sizes = x.sizes().vec();
    sizes.back() = B.size(0);
    ctx->save_for_backward({x, A2, B2s, u, G, R});
    ctx->saved_data["scaling"] = scaling;
    ctx->saved_data["iec"] = iec;
    return torch::mm(u, B2s.t()).to(x.scalar_type()).view(sizes);              // (..., d_out)
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &A2 = saved[1], &B2s = saved[2], &u = saved[3], &G = saved[4], &R = saved[5];
    const double scaling = ctx->saved_data["scaling"].toDouble();
    const bool iec = ctx->saved_data["iec"].toBool();
    const auto g = grads[0].reshape({-1, grads[0].size(-1)}).to(u.scalar_type());  // (N, d_out)
    const auto gB = torch::mm(g.t(), u).mul_(scaling);                              // (d_out, r)
    const auto gu = torch::mm(g, B2s);                                              // (N, r)
    const auto gA = torch::mm(gu.t(), x.reshape({-1, x.size(-1)}).to(u.scalar_type()));  // (r, d_in)
    torch::Tensor gx, gbeta_a, gbeta_b;
    if (ctx->needs_input_grad(0)) gx = torch::mm(gu, A2).to(x.scalar_type()).view(x.sizes());
    if (iec) {
      gbeta_a = torch::dot(gA.flatten(), G.flatten());
      gbeta_b = torch::dot(gB.flatten(), R.flatten());
    }
    return {gx, gA, gB, gbeta_a, gbeta_b, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor lora_delta(const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& beta_a,
                         const torch::Tensor& beta_b, const torch::Tensor& G, const torch::Tensor& R, double scaling) {
  if (beta_a.defined()) return LoraDeltaFn::apply(x, A, B, beta_a, beta_b, G, R, scaling, /*iec=*/true);
  // Function::apply needs defined tensors: plain LoRA passes empty placeholders.
  const auto none = torch::empty({0}, A.options());
  return LoraDeltaFn::apply(x, A, B, none, none, none, none, scaling, /*iec=*/false);
}

torch::Tensor lora_delta_dropout(const torch::Tensor& x, double p, const torch::Tensor& A, const torch::Tensor& B,
                                 const torch::Tensor& beta_a, const torch::Tensor& beta_b, const torch::Tensor& G,
                                 const torch::Tensor& R, double scaling, int64_t qa_group) {
  const auto xa = x.to(A.scalar_type());
  auto a_in = xa;
  if (qa_group > 0) {  // group sums: the mean of each group of qa_group columns times qa_group
    auto sizes = xa.sizes().vec();
    sizes.back() /= qa_group;
    sizes.push_back(qa_group);
    a_in = xa.reshape(sizes).mean(-1) * static_cast<double>(qa_group);
  }
  auto u = torch::matmul(torch::dropout(a_in, p, /*train=*/true), A.t());
  if (beta_a.defined()) u = u + beta_a * torch::matmul(xa, G.t());
  const auto b = beta_b.defined() ? B + beta_b * R : B;
  return (torch::matmul(u, b.t()) * scaling).to(x.scalar_type());
}

}  // namespace irq
