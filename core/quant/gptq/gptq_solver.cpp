// GPTQ's column loop (gptq_solver.h), in the reference's operation order.
#include "quant/gptq/gptq_solver.h"

#include <torch/torch.h>

#include <chrono>

#include "common/error.h"
#include "quant/gptq/gptq_params.h"
#include "quant/quant_format.h"

namespace irq {

namespace {

constexpr int64_t kLazyBatch = 128;  // AutoGPTQ's blocksize

// Upper Cholesky factor of (H + damp I)^-1, factorised in float64.
torch::Tensor inverse_factor(torch::Tensor H, double percdamp, const std::string& name) {
  const auto damp = percdamp * torch::mean(torch::diagonal(H));  // float32, as the reference
  torch::diagonal(H).add_(damp);
  auto H64 = H.to(torch::kFloat64);
  auto [L, info] = torch::linalg_cholesky_ex(H64);
  if (info.item<int64_t>() != 0)
    throw make_error(ErrorKind::kInvalidInput, name,
                     "the calibration Hessian is not positive definite after dampening (raise --damp or use more calibration data)");
  H64 = torch::cholesky_inverse(L);
  return torch::linalg_cholesky(H64, /*upper=*/true).to(torch::kFloat32);
}

}  // namespace

GptqWeightResult gptq_quantize_weight(const torch::Tensor& W_in, const torch::Tensor& H_in, const QuantSettings& s,
                                      const std::string& name, bool keep_block_histograms, const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  s.validate();
  if (!s.gptq.enabled) throw make_error(ErrorKind::kUsage, name, "GPTQ settings are off");
  torch::NoGradGuard no_grad;
  const int64_t R = W_in.size(0), C = W_in.size(1), G = s.group_columns(C), ngroups = (C + G - 1) / G;
  const int64_t maxq = (int64_t{1} << s.bits) - 1;
  const bool grouped = s.block_size > 0, static_groups = grouped && s.gptq.act_order;
  ParamsOptions po;
  po.bits = s.bits;
  po.sym = s.gptq.sym;
  po.icq = s.icq;
  po.lambda = s.lambda;
  po.n = s.n;

  auto W = W_in.to(torch::kFloat32).clone();
  auto H = H_in.to(torch::kFloat32).clone();
  std::vector<GroupParams> groups(static_cast<size_t>(ngroups));
  if (!grouped) groups[0] = find_params(W, po);  // before the dead columns are zeroed, as AutoGPTQ
  const auto dead = torch::diagonal(H) == 0;
  {
    auto d = torch::diagonal(H);
    d.masked_fill_(dead, 1);
    W.masked_fill_(dead.unsqueeze(0), 0);
  }
  if (static_groups)
    for (int64_t g = 0; g < ngroups; ++g) groups[static_cast<size_t>(g)] = find_params(W.slice(1, g * G, (g + 1) * G), po);
  torch::Tensor perm;
  std::vector<int64_t> perm_host;
  if (s.gptq.act_order) {
    perm = torch::argsort(torch::diagonal(H), /*stable=*/false, /*dim=*/0, /*descending=*/true);
    W = W.index_select(1, perm);
    H = H.index_select(0, perm).index_select(1, perm);
    auto ph = perm.to(torch::kCPU);
    perm_host.assign(ph.data_ptr<int64_t>(), ph.data_ptr<int64_t>() + C);
  }
  const auto Hinv = inverse_factor(H, s.gptq.damp, name);

  auto codes = torch::zeros({R, C}, W.options());
  auto losses = torch::zeros({R, C}, W.options());
  const GroupParams* current = grouped ? nullptr : &groups[0];
  for (int64_t i1 = 0; i1 < C; i1 += kLazyBatch) {
    if (cancel) cancel->throw_if_cancelled("GPTQ on " + name);
    const int64_t i2 = std::min(i1 + kLazyBatch, C), count = i2 - i1;
    auto W1 = W.slice(1, i1, i2).clone();
    auto Err1 = torch::zeros_like(W1);
    auto L1 = torch::zeros_like(W1);
    const auto Hinv1 = Hinv.slice(0, i1, i2).slice(1, i1, i2);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t col = i1 + i;
      if (grouped) {
        if (static_groups) {
          current = &groups[static_cast<size_t>(perm_host[static_cast<size_t>(col)] / G)];
        } else if (col % G == 0) {
          groups[static_cast<size_t>(col / G)] = find_params(W.slice(1, col, col + G), po);  // W, not W1: AutoGPTQ's columns
          current = &groups[static_cast<size_t>(col / G)];
        }
      }
      const auto w = W1.select(1, i);
      const auto d = Hinv1[i][i];
      const auto q = torch::clamp(torch::round(w / current->scale) + current->zero, 0, maxq);
      const auto dq = current->scale * (q - current->zero);
      codes.select(1, col).copy_(q);
      L1.select(1, i).copy_((w - dq).pow(2) / d.pow(2));
      const auto err = (w - dq) / d;
      W1.slice(1, i).sub_(err.unsqueeze(1).matmul(Hinv1[i].slice(0, i).unsqueeze(0)));
      Err1.select(1, i).copy_(err);
    }
    losses.slice(1, i1, i2).copy_(L1 / 2);
    if (i2 < C) W.slice(1, i2).sub_(Err1.matmul(Hinv.slice(0, i1, i2).slice(1, i2)));
  }
  if (perm.defined()) codes = codes.index_select(1, torch::argsort(perm));

  // Plain data, host side.
  GptqWeightResult out;
  out.loss = losses.sum().to(torch::kFloat64).item<double>();
  auto stack = [&](torch::Tensor GroupParams::*field) {
    std::vector<torch::Tensor> cols;
    for (const auto& g : groups) cols.push_back(g.*field);
    return torch::stack(cols, 1).to(torch::kCPU).contiguous();  // (R, ngroups)
  };
  const auto scale = stack(&GroupParams::scale).to(torch::kFloat32), zero = stack(&GroupParams::zero).to(torch::kFloat32);
  const auto p = stack(&GroupParams::p).to(torch::kFloat32), cand = stack(&GroupParams::candidate);
  const auto h_plain = stack(&GroupParams::entropy_plain).to(torch::kFloat32), h = stack(&GroupParams::entropy).to(torch::kFloat32);
  const auto codes_u8 = codes.to(torch::kCPU).to(torch::kUInt8).contiguous();
  const auto w_host = W_in.to(torch::kCPU).to(torch::kFloat32).contiguous();

  // The format holds the groups as it lays out its payload (QuantFormat::from_affine_groups).
  const QuantFormat& format = require_quant_format(s.method);
  if (!format.from_affine_groups)
    throw make_error(ErrorKind::kUnsupported, name, "format '" + format.name + "' has no zero points for GPTQ's groups");
  const float* sp = scale.data_ptr<float>();
  const float* zp = zero.data_ptr<float>();
  const uint8_t* cu = codes_u8.data_ptr<uint8_t>();
  AffineGroups groups_out;
  groups_out.codes.assign(cu, cu + R * C);
  groups_out.scale.assign(sp, sp + R * ngroups);
  groups_out.zero.assign(zp, zp + R * ngroups);
  out.quantized = format.from_affine_groups(s, {R, C}, std::move(groups_out));
  const QuantizedTensor& qt = out.quantized;

  LayerQuantStats& st = out.stats;
  const int levels = 1 << s.bits;
  const size_t total = static_cast<size_t>(R * ngroups);
  st.name = name;
  st.shape = {R, C};
  st.numel = R * C;
  st.blocks = R * ngroups;
  st.levels = levels;
  st.entropy_plain.assign(h_plain.data_ptr<float>(), h_plain.data_ptr<float>() + total);
  st.entropy.assign(h.data_ptr<float>(), h.data_ptr<float>() + total);
  st.offset.assign(p.data_ptr<float>(), p.data_ptr<float>() + total);
  st.absmax.assign(sp, sp + total);
  st.candidate.resize(total);
  const int64_t* cp = cand.data_ptr<int64_t>();
  for (size_t i = 0; i < total; ++i) st.candidate[i] = s.icq ? static_cast<int32_t>(cp[i]) : -1;
  st.mse.assign(total, 0.0f);
  st.code_histogram.assign(static_cast<size_t>(levels), 0);
  if (keep_block_histograms) st.histogram.assign(total * static_cast<size_t>(levels), 0);
  const float* wv = w_host.data_ptr<float>();
  double sw = 0, se = 0;
  for (int64_t r = 0; r < R; ++r)
    for (int64_t g = 0; g < ngroups; ++g) {
      const size_t gi = static_cast<size_t>(r * ngroups + g);
      const int64_t c0 = g * G, L = std::min(G, C - c0);
      double be = 0;
      for (int64_t c = c0; c < c0 + L; ++c) {
        const uint8_t code = cu[r * C + c];
        const double wt = wv[r * C + c], e = wt - static_cast<double>(sp[gi] * (static_cast<float>(code) - zp[gi]));
        sw += wt * wt;
        be += e * e;
        ++st.code_histogram[code];
        if (keep_block_histograms) ++st.histogram[gi * static_cast<size_t>(levels) + code];
      }
      st.mse[gi] = static_cast<float>(be / static_cast<double>(L));
      se += be;
    }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  st.finish(sw, se, qt.storage_bytes());
  return out;
}

}  // namespace irq
