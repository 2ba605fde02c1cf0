// The NF4 / ICQ-NF4 pipeline: candidate search, final codes, bitsandbytes
// double quantization of absmax, 8-bit quantization of tau, dequantization
// and per-block statistics (see nf4_internal.h for the semantics).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

#include "common/error.h"
#include "common/parallel.h"
#include "nf4_cuda.h"
#include "nf4_internal.h"
#include "nf4_payload.h"
#include "quant/dynamic_map.h"
#include "quant/nf4_levels.h"

namespace irq::nf4 {

namespace {

float pairwise_block(const float* a, int64_t n) {
  if (n < 8) {
    float r = 0.0f;
    for (int64_t i = 0; i < n; ++i) r = r + a[i];
    return r;
  }
  if (n <= 128) {
    float r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] = r[j] + a[i + j];
    float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res = res + a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_block(a, n2) + pairwise_block(a + n2, n - n2);
}

}  // namespace

float pairwise_sum(const float* x, int64_t n) {
  // numpy reduces contiguous float32 in buffers of 8192 elements, pairwise inside each.
  float acc = 0.0f;
  for (int64_t c = 0; c < n; c += 8192) acc = acc + pairwise_block(x + c, std::min<int64_t>(8192, n - c));
  return acc;
}

void double_quantize(const std::vector<float>& absmax, const std::vector<float>& tau, const QuantSettings& s,
                     QuantizedTensor* out) {
  // absmax - mean in 8-bit groups of stats_block blocks; tau likewise (scale = max |tau|).
  const int64_t nblocks = static_cast<int64_t>(absmax.size());
  const int64_t groups = (nblocks + s.stats_block - 1) / s.stats_block;
  out->settings = s;
  const Nf4Parts p = nf4_parts(*out);
  p.absmax_offset = static_cast<float>(static_cast<double>(pairwise_sum(absmax.data(), nblocks)) / static_cast<double>(nblocks));
  std::vector<float> centred(static_cast<size_t>(nblocks));
  for (size_t i = 0; i < centred.size(); ++i) centred[i] = absmax[i] - p.absmax_offset;
  p.absmax_q.resize(static_cast<size_t>(nblocks));
  p.absmax_scale.resize(static_cast<size_t>(groups));
  quantize_blockwise_8bit(centred.data(), nblocks, s.stats_block, p.absmax_q.data(), p.absmax_scale.data());
  p.tau_q.resize(static_cast<size_t>(nblocks));
  p.tau_scale.resize(static_cast<size_t>(groups));
  quantize_blockwise_8bit(tau.data(), nblocks, s.stats_block, p.tau_q.data(), p.tau_scale.data());
}

void quantize(const QuantJob& job, Search search, QuantizedTensor* out, LayerQuantStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  const QuantSettings& s = job.settings;
  s.validate();
  const int64_t B = s.block_size;
  if (B % 2 != 0) throw make_error(ErrorKind::kUsage, "nf4", "block size must be even (two codes per byte)");
  int64_t numel = 1;
  for (int64_t d : job.shape) numel *= d;
  check_finite(job.weight, numel, job.name);
  const int64_t nblocks = (numel + B - 1) / B;
  std::vector<float> tail;
  if (numel % B != 0) {  // zero-padded last block, as the oracle pads
    tail.assign(static_cast<size_t>(B), 0.0f);
    std::copy(job.weight + (nblocks - 1) * B, job.weight + numel, tail.begin());
  }
  const BlockSource blocks{job.weight, numel / B, tail.empty() ? nullptr : tail.data(), B};
  const EntropyTable table = EntropyTable::for_block(B, job.entropy_terms);
  std::vector<BlockChoice> choice(static_cast<size_t>(nblocks));
  if (s.icq) {
    const auto factors = icq_factors(s.lambda, s.n);
    if (search == Search::kReference) {
      search_ref(blocks, 0, nblocks, factors, table, choice.data());
    } else if (search == Search::kCuda) {
      std::vector<float> tau, hp, h;
      std::vector<int32_t> cand;
      cuda::search_host(job.weight, numel, static_cast<int>(B), factors, table.terms(), tau, cand, hp, h);
      for (size_t i = 0; i < choice.size(); ++i) choice[i] = {tau[i], cand[i], hp[i], h[i]};
    } else {
      parallel_for(nblocks, /*grain=*/64, [&](int64_t b0, int64_t b1) {
        if (job.cancel && job.cancel->cancelled()) return;
        search_fast(blocks, b0, b1, factors, table, choice.data());
      });
    }
    if (job.cancel) job.cancel->throw_if_cancelled("quantizing " + job.name);
  }

  // Final codes of w - tau (packed as they are made), absmax, entropy, histograms.
  std::vector<float> absmax(static_cast<size_t>(nblocks)), tau(static_cast<size_t>(nblocks), 0.0f);
  out->parts.clear();
  const Nf4Parts p = nf4_parts(*out);
  p.codes.assign(static_cast<size_t>(nblocks * B / 2), 0);
  stats->name = job.name;
  stats->shape = job.shape;
  stats->numel = numel;
  stats->blocks = nblocks;
  stats->levels = 16;
  stats->entropy_plain.assign(static_cast<size_t>(nblocks), 0.0f);
  stats->entropy.assign(static_cast<size_t>(nblocks), 0.0f);
  stats->offset.assign(static_cast<size_t>(nblocks), 0.0f);
  stats->candidate.assign(static_cast<size_t>(nblocks), -1);
  stats->mse.assign(static_cast<size_t>(nblocks), 0.0f);
  stats->code_histogram.assign(16, 0);
  if (job.keep_block_histograms) stats->histogram.assign(static_cast<size_t>(nblocks * 16), 0);
  std::mutex hist_mutex;
  parallel_for(nblocks, 256, [&](int64_t b0, int64_t b1) {
    std::vector<uint8_t> codes(static_cast<size_t>(B));
    std::array<int64_t, 16> hist{};
    for (int64_t b = b0; b < b1; ++b) {
      const size_t i = static_cast<size_t>(b);
      if (s.icq) tau[i] = choice[i].tau;
      absmax[i] = encode_block(blocks.at(b), B, tau[i], codes.data());
      std::array<int32_t, 16> counts{};
      uint8_t* packed = p.codes.data() + b * B / 2;
      for (int64_t j = 0; j < B; j += 2) {
        ++counts[codes[static_cast<size_t>(j)]];
        ++counts[codes[static_cast<size_t>(j) + 1]];
        packed[j / 2] = static_cast<uint8_t>(codes[static_cast<size_t>(j)] << 4 | codes[static_cast<size_t>(j) + 1]);
      }
      stats->entropy[i] = table.entropy(counts.data(), 16);
      stats->entropy_plain[i] = s.icq ? choice[i].entropy_plain : stats->entropy[i];
      stats->candidate[i] = s.icq ? choice[i].candidate : -1;
      stats->offset[i] = tau[i];
      for (size_t v = 0; v < 16; ++v) {
        hist[v] += counts[v];
        if (job.keep_block_histograms) stats->histogram[i * 16 + v] = static_cast<uint16_t>(counts[v]);
      }
    }
    std::lock_guard<std::mutex> lock(hist_mutex);
    for (size_t v = 0; v < 16; ++v) stats->code_histogram[v] += hist[v];
  });

  double_quantize(absmax, tau, s, out);
  out->shape = job.shape;

  // Error statistics against the dequantized weight, block by block.
  std::vector<double> w2(static_cast<size_t>(nblocks)), e2(static_cast<size_t>(nblocks));
  const auto& map = dynamic_map_8bit();
  parallel_for(nblocks, 256, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const size_t i = static_cast<size_t>(b), g = static_cast<size_t>(b / s.stats_block);
      const float amax = map[p.absmax_q[i]] * p.absmax_scale[g] + p.absmax_offset;
      const float t = map[p.tau_q[i]] * p.tau_scale[g];
      const int64_t len = std::min(B, numel - b * B);
      const float* w = job.weight + b * B;
      const uint8_t* packed = p.codes.data() + b * B / 2;
      double sw = 0, se = 0;
      for (int64_t j = 0; j < len; ++j) {
        const uint8_t code = (j % 2 == 0) ? static_cast<uint8_t>(packed[j / 2] >> 4) : static_cast<uint8_t>(packed[j / 2] & 0x0f);
        const double x = w[j], e = x - static_cast<double>(kNf4Levels[code] * amax + t);
        sw += x * x;
        se += e * e;
      }
      w2[i] = sw;
      e2[i] = se;
      stats->mse[i] = static_cast<float>(se / static_cast<double>(len));
    }
  });
  stats->absmax = std::move(absmax);
  double sw = 0, se = 0;
  for (int64_t b = 0; b < nblocks; ++b) {
    sw += w2[static_cast<size_t>(b)];
    se += e2[static_cast<size_t>(b)];
  }
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats->finish(sw, se, out->storage_bytes());
}

void dequantize(const QuantizedTensor& q, float* out) {
  const Nf4View v = nf4_view(q);  // checks the parts against the shape
  const int64_t B = q.settings.block_size, numel = q.numel();
  const int64_t nblocks = (numel + B - 1) / B, group = q.settings.stats_block;
  const auto& map = dynamic_map_8bit();
  parallel_for(nblocks, 1024, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const size_t i = static_cast<size_t>(b), g = static_cast<size_t>(b / group);
      const float amax = map[v.absmax_q[i]] * v.absmax_scale[g] + v.absmax_offset;
      const float tau = v.tau_q ? map[v.tau_q[i]] * v.tau_scale[g] : 0.0f;
      const int64_t end = std::min(numel, (b + 1) * B);
      for (int64_t k = b * B; k < end; ++k) {
        const uint8_t byte = v.codes[static_cast<size_t>(k / 2)];
        const uint8_t code = (k % 2 == 0) ? static_cast<uint8_t>(byte >> 4) : static_cast<uint8_t>(byte & 0x0f);
        out[k] = kNf4Levels[code] * amax + tau;
      }
    }
  });
}

}  // namespace irq::nf4
