// CUDA paths of the NF4 / ICQ-NF4 plugin (compiled when nvcc is found;
// IRQ_NF4_HAVE_CUDA then defined). Every float operation uses the explicit
// round-to-nearest intrinsics (__fadd_rn, __fmul_rn, __fdiv_rn) in the CPU
// path's order, so codes and tau are bit-identical to the CPU path.
// Pointers are device pointers; functions throw irq::Error on CUDA errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace irq::nf4::cuda {

// True when this build has CUDA and a device is present.
bool available();
std::string device_name();

// Largest block size the search kernel handles (per-thread sorted copy).
constexpr int kMaxBlock = 64;

// ICQ candidate search, one thread per block over w[0..numel) (zero-padded
// last block): tau, candidate index, plain and chosen entropy per block.
// factors: 2n+1 floats; terms: B+1 entropy terms (quant/entropy.h).
void search(const float* w, int64_t numel, int B, const float* factors, int ncand, const float* terms, float* tau,
            int32_t* candidate, float* entropy_plain, float* entropy, void* stream);

// Final NF4 codes of w - tau (packed, high nibble first) and absmax per block.
void encode(const float* w, int64_t numel, int B, const float* tau, uint8_t* packed, float* absmax, void* stream);

// Dequantize to float32 (out_bf16 = false) or bfloat16: out = NF4[code] *
// (map[absmax_q] * absmax_scale[b / group] + offset) + map[tau_q] * tau_scale[b / group].
void dequantize(const uint8_t* packed, int64_t numel, int B, int group, const uint8_t* absmax_q, const float* absmax_scale,
                float absmax_offset, const uint8_t* tau_q, const float* tau_scale, void* out, bool out_bf16, void* stream);

// Host-memory convenience for the plugin pipeline: copies w in, runs search,
// copies the per-block results out (vectors resized to nblocks).
void search_host(const float* w, int64_t numel, int B, const std::vector<float>& factors, const std::vector<float>& terms,
                 std::vector<float>& tau, std::vector<int32_t>& candidate, std::vector<float>& entropy_plain,
                 std::vector<float>& entropy);

// Fills w[0..n) with N(0, std^2) from a counter-based generator (benchmarks).
void fill_normal(float* w, int64_t n, uint64_t seed, float std, void* stream);

}  // namespace irq::nf4::cuda
