// INT-k (k = 2, 3, 4, 8) asymmetric quantization per (row, group of G
// columns) and its IR-QLoRA information-calibrated variant, as
// shared/reference/icq_oracle.py int_icq: range [p*min(x,0), p*max(x,0)] with
// p over {1} + linspace(1, 1+lambda, n+1)[1:] + linspace(1, 1-lambda, n+1)[1:],
// scale = (hi - lo) / (2^k - 1), zero = round(-lo / scale), code =
// clip(round(x / scale) + zero, 0, 2^k - 1) (round half to even); the first
// candidate with the highest code entropy wins. A short last group (cols % G
// != 0) is quantized on its own columns. Exact float32, no FMA contraction.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"
#include "quant/entropy.h"
#include "quant/quant_format.h"
#include "int_rows.h"

namespace irq::intq {

namespace {

std::vector<float> candidates(const QuantSettings& s) {
  std::vector<float> p = {1.0f};
  if (!s.icq) return p;
  for (double stop : {1.0 + s.lambda, 1.0 - s.lambda}) {  // np.linspace(1, stop, n + 1)[1:]
    const double step = (stop - 1.0) / s.n;
    for (int i = 1; i <= s.n; ++i) p.push_back(static_cast<float>(i == s.n ? stop : i * step + 1.0));
  }
  return p;
}

struct GroupResult {
  float scale, zero, p, entropy, entropy_plain;
  int32_t candidate;
};

// Codes of x[0..L) for one (scale, zero); returns the entropy.
float encode(const float* x, int64_t L, float scale, float zero, float maxq, uint8_t* codes, int32_t* counts, int levels,
             const EntropyTable& table) {
  std::fill(counts, counts + levels, 0);
  for (int64_t j = 0; j < L; ++j) {
    float q = std::nearbyint(x[j] / scale) + zero;
    q = std::min(std::max(q, 0.0f), maxq);
    codes[j] = static_cast<uint8_t>(q);
    ++counts[codes[j]];
  }
  return table.entropy(counts, levels);
}

// The group's range [min(x, 0), max(x, 0)]; [-1, 1] for a group of zeros.
std::pair<float, float> range_of(const float* x, int64_t L) {
  float xmin = 0.0f, xmax = 0.0f;
  for (int64_t j = 0; j < L; ++j) {
    xmin = std::min(xmin, x[j]);
    xmax = std::max(xmax, x[j]);
  }
  if (xmin == 0.0f && xmax == 0.0f) return {-1.0f, 1.0f};
  return {xmin, xmax};
}

GroupResult search_group(const float* x, int64_t L, const std::vector<float>& cands, float maxq, int levels,
                         const EntropyTable& table, uint8_t* codes, int32_t* counts) {
  const auto [xmin, xmax] = range_of(x, L);
  GroupResult best{0, 0, 1, 0, 0, -1};
  float best_err = INFINITY;
  for (size_t i = 0; i < cands.size(); ++i) {
    const float p = cands[i];
    const float lo = p * xmin, hi = p * xmax;
    const float scale = (hi - lo) / maxq;
    const float zero = std::nearbyint(-lo / scale);
    const float h = encode(x, L, scale, zero, maxq, codes, counts, levels, table);
    if (i == 0) best.entropy_plain = h;
    if (-h < best_err) {
      best_err = -h;
      best = {scale, zero, p, h, best.entropy_plain, static_cast<int32_t>(i)};
    }
  }
  return best;
}

std::vector<SearchPoint> search_curve(const float* x, int64_t L, const QuantSettings& settings) {
  QuantSettings s = settings;
  s.icq = true;
  const int levels = 1 << s.bits;
  const float maxq = static_cast<float>(levels - 1);
  const EntropyTable table = EntropyTable::for_block(L, nullptr);
  const auto [xmin, xmax] = range_of(x, L);
  std::vector<uint8_t> codes(static_cast<size_t>(L));
  std::vector<int32_t> counts(static_cast<size_t>(levels));
  std::vector<SearchPoint> out;
  for (float p : candidates(s)) {
    const float lo = p * xmin, hi = p * xmax;
    const float scale = (hi - lo) / maxq;
    const float zero = std::nearbyint(-lo / scale);
    out.push_back({p, encode(x, L, scale, zero, maxq, codes.data(), counts.data(), levels, table)});
  }
  return out;
}

void quantize(const QuantJob& job, bool reference, QuantizedTensor* out, LayerQuantStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  const QuantSettings& s = job.settings;
  s.validate();
  if (s.bits != 2 && s.bits != 3 && s.bits != 4 && s.bits != 8)
    throw make_error(ErrorKind::kUsage, "int quantizer", "bits must be 2, 3, 4 or 8, got " + std::to_string(s.bits));
  int64_t numel = 1;
  for (int64_t d : job.shape) numel *= d;
  check_finite(job.weight, numel, job.name);
  const int64_t rows = job.shape.size() >= 2 ? job.shape[0] : 1, cols = numel / std::max<int64_t>(rows, 1);
  const int64_t G = s.group_columns(cols), ngroups = (cols + G - 1) / G, total = rows * ngroups;
  const int levels = 1 << s.bits;
  const float maxq = static_cast<float>(levels - 1);
  const auto cands = candidates(s);
  const EntropyTable full = EntropyTable::for_block(std::min(G, cols), job.entropy_terms);
  const EntropyTable tail = EntropyTable::for_block(cols % G == 0 ? 1 : cols % G, job.entropy_terms);

  std::vector<uint8_t> codes(static_cast<size_t>(numel));
  std::vector<GroupResult> res(static_cast<size_t>(total));
  auto run = [&](int64_t g0, int64_t g1) {
    std::vector<uint8_t> scratch(static_cast<size_t>(G));
    std::vector<int32_t> counts(static_cast<size_t>(levels));
    for (int64_t gi = g0; gi < g1; ++gi) {
      if (job.cancel && job.cancel->cancelled()) return;
      const int64_t r = gi / ngroups, g = gi % ngroups;
      const int64_t c0 = g * G, L = std::min(G, cols - c0);
      const float* x = job.weight + r * cols + c0;
      const EntropyTable& table = L == G || cols < G ? full : tail;
      GroupResult& best = res[static_cast<size_t>(gi)];
      best = search_group(x, L, cands, maxq, levels, table, scratch.data(), counts.data());
      best.entropy = encode(x, L, best.scale, best.zero, maxq, codes.data() + r * cols + c0, counts.data(), levels, table);
    }
  };
  if (reference) run(0, total);
  else parallel_for(total, 16, run);
  if (job.cancel) job.cancel->throw_if_cancelled("quantizing " + job.name);

  out->settings = s;
  out->shape = job.shape;
  out->parts.clear();
  const IntParts p = int_parts(*out);
  p.codes = pack_codes(codes.data(), numel, s.bits);
  p.scale.resize(static_cast<size_t>(total));
  p.zero.resize(static_cast<size_t>(total));
  stats->name = job.name;
  stats->shape = job.shape;
  stats->numel = numel;
  stats->blocks = total;
  stats->levels = levels;
  stats->entropy.resize(static_cast<size_t>(total));
  stats->entropy_plain.resize(static_cast<size_t>(total));
  stats->offset.resize(static_cast<size_t>(total));
  stats->candidate.resize(static_cast<size_t>(total));
  stats->absmax.resize(static_cast<size_t>(total));
  stats->mse.assign(static_cast<size_t>(total), 0.0f);
  stats->code_histogram.assign(static_cast<size_t>(levels), 0);
  if (job.keep_block_histograms) stats->histogram.assign(static_cast<size_t>(total * levels), 0);
  double sw = 0, se = 0;
  for (int64_t gi = 0; gi < total; ++gi) {
    const auto& b = res[static_cast<size_t>(gi)];
    const size_t i = static_cast<size_t>(gi);
    p.scale[i] = b.scale;
    p.zero[i] = b.zero;
    stats->entropy[i] = b.entropy;
    stats->entropy_plain[i] = b.entropy_plain;
    stats->offset[i] = b.p;
    stats->candidate[i] = s.icq ? b.candidate : -1;
    stats->absmax[i] = b.scale;
    const int64_t r = gi / ngroups, c0 = (gi % ngroups) * G, L = std::min(G, cols - c0);
    double bw = 0, be = 0;
    for (int64_t j = 0; j < L; ++j) {
      const int64_t k = r * cols + c0 + j;
      const uint8_t code = codes[static_cast<size_t>(k)];
      const double w = job.weight[k], e = w - static_cast<double>(b.scale * (static_cast<float>(code) - b.zero));
      bw += w * w;
      be += e * e;
      ++stats->code_histogram[code];
      if (job.keep_block_histograms) ++stats->histogram[i * static_cast<size_t>(levels) + code];
    }
    stats->mse[i] = static_cast<float>(be / static_cast<double>(L));
    sw += bw;
    se += be;
  }
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats->finish(sw, se, out->storage_bytes());
}

void dequantize(const QuantizedTensor& q, float* out) {
  const IntView v = int_view(q);  // checks the parts against the shape
  const int64_t numel = v.numel, rows = v.rows, cols = v.cols;
  const int64_t G = q.settings.group_columns(cols), ngroups = (cols + G - 1) / G;
  std::vector<uint8_t> codes(static_cast<size_t>(numel));
  unpack_codes(v.codes, numel, q.settings.bits, codes.data());
  parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const size_t g = static_cast<size_t>(r * ngroups + c / G);
        out[r * cols + c] = v.scale[g] * (static_cast<float>(codes[static_cast<size_t>(r * cols + c)]) - v.zero[g]);
      }
  });
}

}  // namespace

}  // namespace irq::intq

namespace irq {

// The INT format's compute entries, added to its described row
// (int_description.cpp) by register_builtin_formats() (plugins/builtin_formats.h).
void register_int_format() {
  irq::QuantFormat f = irq::require_quant_format("int");  // the description, registered first
  f.quantize = [](const irq::QuantJob& j, irq::QuantizedTensor* o, irq::LayerQuantStats* s) { irq::intq::quantize(j, false, o, s); };
  f.quantize_ref = [](const irq::QuantJob& j, irq::QuantizedTensor* o, irq::LayerQuantStats* s) { irq::intq::quantize(j, true, o, s); };
  f.dequantize = [](const irq::QuantizedTensor& q, float* out) { irq::intq::dequantize(q, out); };
  f.search_curve = [](const float* x, int64_t L, const irq::QuantSettings& s) { return irq::intq::search_curve(x, L, s); };
  f.block_members = irq::intq::block_members;
  f.block_levels = irq::intq::block_levels;
  irq::intq::add_torch_entries(f);
  f.dequantize_rows = [](const irq::DeviceQuantTensor& t, int64_t row0, int64_t count, float* out) {
    irq::intq::dequantize_rows(irq::intq::int_view(t), row0, count, out);
  };
  f.rows_dot = [](const irq::DeviceQuantTensor& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y,
                  int64_t ldy) { return irq::intq::rows_dot(irq::intq::int_view(t), row0, count, x, M, y, ldy); };
  f.payload_hash = irq::intq::payload_hash;
  f.affine_groups = irq::intq::affine_groups;
  f.from_affine_groups = irq::intq::from_affine_groups;
  irq::register_quant_format(std::move(f));
}

}  // namespace irq
