// IEC-LoRA forward and folding.
#include "lora/iec_lora.h"

#include "common/error.h"

namespace irq {

void check_iec_rank(int64_t rank, int64_t d_in, int64_t d_out, const std::string& where) {
  if (rank < 1) throw make_error(ErrorKind::kUsage, where, "LoRA rank must be positive");
  if (d_in % rank != 0)
    throw make_error(ErrorKind::kUsage, where, "IEC needs the rank to divide the input width: rank " + std::to_string(rank) +
                                                   " does not divide d_in = " + std::to_string(d_in) +
                                                   " (the input is averaged over r groups); choose a rank that divides it or turn IEC off");
  if (d_out % rank != 0)
    throw make_error(ErrorKind::kUsage, where, "IEC needs the rank to divide the output width: rank " + std::to_string(rank) +
                                                   " does not divide d_out = " + std::to_string(d_out) +
                                                   " (each of the r codes is repeated d_out / r times); choose a rank that divides it or turn IEC off");
}

torch::Tensor iec_lora_delta(const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& beta_a,
                             const torch::Tensor& beta_b, double scaling) {
  const int64_t r = A.size(0), d_in = A.size(1), d_out = B.size(0);
  auto h = torch::matmul(x, A.t());  // (..., r)
  if (beta_a.defined()) {
    auto sizes = x.sizes().vec();
    sizes.back() = r;
    sizes.push_back(d_in / r);
    h = h + beta_a * x.reshape(sizes).mean(/*dim=*/-1);
  }
  auto y = torch::matmul(h, B.t());  // (..., d_out)
  if (beta_b.defined()) y = y + beta_b * h.repeat_interleave(d_out / r, /*dim=*/-1);
  return y * scaling;
}

torch::Tensor iec_group_mean_matrix(int64_t r, int64_t d_in, const torch::TensorOptions& opts) {
  // Row i averages inputs [i*d_in/r, (i+1)*d_in/r).
  return torch::kron(torch::eye(r, opts), torch::full({1, d_in / r}, 1.0 / static_cast<double>(d_in / r), opts));
}

torch::Tensor iec_repeat_matrix(int64_t r, int64_t d_out, const torch::TensorOptions& opts) {
  // Row j picks code j / (d_out/r).
  return torch::kron(torch::eye(r, opts), torch::ones({d_out / r, 1}, opts));
}

std::pair<torch::Tensor, torch::Tensor> fold_iec(const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& beta_a,
                                                 const torch::Tensor& beta_b) {
  const int64_t r = A.size(0), d_in = A.size(1), d_out = B.size(0);
  auto A2 = beta_a.defined() ? A + beta_a * iec_group_mean_matrix(r, d_in, A.options()) : A.clone();
  auto B2 = beta_b.defined() ? B + beta_b * iec_repeat_matrix(r, d_out, B.options()) : B.clone();
  return {A2, B2};
}

torch::Tensor iec_lora_delta_folded(const torch::Tensor& x, const torch::Tensor& A, const torch::Tensor& B,
                                    const torch::Tensor& beta_a, const torch::Tensor& beta_b, const torch::Tensor& G,
                                    const torch::Tensor& R, double scaling) {
  const auto A2 = beta_a.defined() ? A + beta_a * G : A;
  const auto B2 = beta_b.defined() ? B + beta_b * R : B;
  return torch::matmul(torch::matmul(x, A2.t()), B2.t()) * scaling;
}

}  // namespace irq
