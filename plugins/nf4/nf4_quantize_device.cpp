// QuantFormat::quantize_cuda of the NF4 plugin: the weight stays on the GPU,
// where the warp-per-block kernel searches tau, encodes and measures the
// error (nf4_cuda_quantize.cu); the host does the double quantization of the
// per-block absmax and tau (bitsandbytes' 8-bit scheme, nf4_quantize.cpp's).
// Blocks other than 64 take the weight to the host and the CPU/older CUDA path.
#include <chrono>
#include <cmath>

#include "common/error.h"
#include "nf4_cuda.h"
#include "nf4_internal.h"
#include "nf4_payload.h"

namespace irq::nf4 {

void quantize_on_device(const QuantJob& job, QuantizedTensor* out, LayerQuantStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  const QuantSettings& s = job.settings;
  s.validate();
  int64_t numel = 1;
  for (int64_t d : job.shape) numel *= d;
  if (job.cancel) job.cancel->throw_if_cancelled("quantizing " + job.name);
  if (s.block_size != cuda::kDeviceBlock) {
    std::vector<float> host(static_cast<size_t>(numel));
    cuda::copy_to_host(job.weight, numel, host.data(), job.stream);
    QuantJob on_host = job;
    on_host.weight = host.data();
    on_host.cuda_device = -1;
    quantize(on_host, s.icq && s.block_size <= cuda::kMaxBlock ? Search::kCuda : Search::kFast, out, stats);
    return;
  }
  const EntropyTable table = EntropyTable::for_block(s.block_size, job.entropy_terms);
  cuda::DeviceQuantResult r;
  cuda::quantize_device(job.weight, numel, static_cast<int>(s.stats_block), s.icq ? icq_factors(s.lambda, s.n) : std::vector<float>{},
                        s.icq, table.terms(), job.keep_block_histograms, job.stream, &r, [&](cuda::DeviceQuantResult& d) {
                          out->parts.clear();
                          double_quantize(d.absmax, d.tau, s, out);
                          const Nf4Parts p = nf4_parts(*out);
                          d.absmax_q = p.absmax_q;
                          d.absmax_scale = p.absmax_scale;
                          d.absmax_offset = p.absmax_offset;
                          d.tau_q = p.tau_q;
                          d.tau_scale = p.tau_scale;
                        });
  if (r.first_non_finite >= 0) {
    float bad = 0;
    cuda::copy_to_host(job.weight + r.first_non_finite, 1, &bad, job.stream);
    throw_non_finite(job.name, r.first_non_finite, bad);
  }
  const int64_t nblocks = static_cast<int64_t>(r.tau.size());
  nf4_parts(*out).codes = std::move(r.codes);
  out->shape = job.shape;
  stats->name = job.name;
  stats->shape = job.shape;
  stats->numel = numel;
  stats->blocks = nblocks;
  stats->levels = 16;
  stats->entropy_plain = std::move(r.entropy_plain);
  stats->entropy = std::move(r.entropy);
  stats->offset = std::move(r.tau);
  stats->candidate = std::move(r.candidate);
  stats->mse = std::move(r.mse);
  stats->absmax = std::move(r.absmax);
  stats->code_histogram = std::move(r.code_histogram);
  if (job.keep_block_histograms) stats->histogram = std::move(r.histogram);
  double sw = 0, se = 0;
  for (int64_t b = 0; b < nblocks; ++b) {
    sw += r.sum_w2[static_cast<size_t>(b)];
    se += r.sum_err2[static_cast<size_t>(b)];
  }
  stats->finish(sw, se, out->storage_bytes());
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats->phases = std::move(r.phases);
  double measured = 0;
  for (const auto& [name, s] : stats->phases) measured += s;
  stats->phases.emplace_back("setup + host statistics", stats->seconds - measured);
}

}  // namespace irq::nf4
