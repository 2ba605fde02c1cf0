// Internals of the NF4 / ICQ-NF4 quantizer plugin (IR-QLoRA, arXiv 2402.05445,
// semantics of shared/reference/icq_oracle.py nf4_icq):
//   blocks of B over the flattened weight (last block zero-padded); per block
//   tau0 = lower median, span = max |w - tau0|, candidates
//   tau_i = f32(f_i) * span + tau0 for f = linspace(-lambda*sigma, lambda*sigma, 2n+1);
//   keep the first candidate with the highest code entropy; codes are NF4 of
//   w - tau with absmax scaling; absmax and tau are 8-bit double-quantized.
// Every float operation is done in float32 in the oracle's order (this
// target is compiled with -ffp-contract=off), so codes match bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "nf4_payload.h"
#include "quant/entropy.h"
#include "quant/quant_format.h"

namespace irq::nf4 {

// f32(numpy.linspace(-lambda * sigma, lambda * sigma, 2n + 1)).
std::vector<float> icq_factors(double lambda, int n);

struct BlockChoice {
  float tau = 0;
  int32_t candidate = -1;
  float entropy_plain = 0;
  float entropy = 0;
};

// The blocks of a flattened weight: full blocks point into it, the last
// partial block into a zero-padded copy.
struct BlockSource {
  const float* base;
  int64_t full;       // number of complete blocks
  const float* tail;  // the zero-padded last block (B floats) or nullptr
  int64_t B;
  const float* at(int64_t b) const { return b < full ? base + b * B : tail; }
};

// Candidate search over blocks [begin, end).
// ref: re-quantizes the block for every candidate, as the oracle does.
// fast: sorts the block once and moves each of the 15 code boundaries from the
// previous candidate's position (codes are monotone in w), exact in float32.
void search_ref(const BlockSource& blocks, int64_t begin, int64_t end, const std::vector<float>& factors,
                const EntropyTable& table, BlockChoice* out);
void search_fast(const BlockSource& blocks, int64_t begin, int64_t end, const std::vector<float>& factors,
                 const EntropyTable& table, BlockChoice* out);

// ICQ's candidates on one block of B weights (QuantFormat::search_curve): tau_i
// and the code entropy, as search_ref evaluates them.
std::vector<SearchPoint> search_curve(const float* w, int64_t B, const QuantSettings& s);

// NF4 codes of w - tau (B values); returns absmax of w - tau.
float encode_block(const float* w, int64_t B, float tau, uint8_t* codes);

// The whole pipeline: search (reference, fast CPU or CUDA), codes, double
// quantization, stats. The CUDA search gives the same choices bit for bit.
enum class Search { kReference, kFast, kCuda };
void quantize(const QuantJob& job, Search search, QuantizedTensor* out, LayerQuantStats* stats);
// QuantFormat::quantize_cuda: job.weight on the device (job.cuda_device);
// search, encode and the error statistics run there (nf4_quantize_device.cpp).
void quantize_on_device(const QuantJob& job, QuantizedTensor* out, LayerQuantStats* stats);
// bitsandbytes' double quantization of the per-block absmax (minus their
// mean) and the 8-bit quantization of tau, into out's 8-bit fields.
void double_quantize(const std::vector<float>& absmax, const std::vector<float>& tau, const QuantSettings& s,
                     QuantizedTensor* out);
void dequantize(const QuantizedTensor& q, float* out);
// Rows [row0, row0 + count) of the (rows, cols) weight from host pointers
// (QuantFormat::dequantize_rows; nf4_rows.cpp), equal to dequantize bit for bit.
void dequantize_rows(const Nf4View& t, int64_t row0, int64_t count, float* out);
// QuantFormat::rows_dot from the codes (AVX-512; false where it does not apply).
bool rows_dot(const Nf4View& t, int64_t row0, int64_t count, const float* x, int64_t M, float* y, int64_t ldy);

// numpy's pairwise float32 summation (np.mean of a float32 array), for bit-exact absmax offsets.
float pairwise_sum(const float* x, int64_t n);

// The format's torch dequant of a held weight (nf4_torch.cpp) and the
// Weights view's blocks (nf4_blocks.cpp; see QuantFormat).
void add_torch_entries(QuantFormat& f);  // dequantize_weight
std::vector<int64_t> block_members(const std::vector<int64_t>& shape, const QuantSettings& s, int64_t b);
std::vector<float> block_levels(const QuantizedTensor& q, int64_t b);
std::vector<SearchPoint> padded_search_curve(const float* w, int64_t length, const QuantSettings& s);

}  // namespace irq::nf4
