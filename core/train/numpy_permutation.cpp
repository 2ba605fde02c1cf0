// numpy 1.17+ semantics (numpy/random/bit_generator.pyx SeedSequence,
// src/pcg64, src/distributions random_interval, _generator.pyx _shuffle_raw);
// tests/core/test_holdout.cpp holds it to numpy's own output.
#include "train/numpy_permutation.h"

#include <array>
#include <numeric>
#include <utility>

#include "common/error.h"

namespace irq {

namespace {

using u128 = unsigned __int128;

constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875, kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kPoolSize = 4;

// SeedSequence(seed).generate_state(4, uint64).
std::array<uint64_t, 4> seed_sequence_state(uint64_t seed) {
  std::vector<uint32_t> entropy;  // the integer as little-endian 32-bit words (0 -> [0])
  do {
    entropy.push_back(static_cast<uint32_t>(seed));
    seed >>= 32;
  } while (seed != 0);
  uint32_t hash_const = kInitA;
  auto hashmix = [&](uint32_t value) {
    value ^= hash_const;
    hash_const *= kMultA;
    value *= hash_const;
    return value ^ (value >> 16);
  };
  auto mix = [](uint32_t x, uint32_t y) {
    uint32_t r = kMixMultL * x - kMixMultR * y;
    return r ^ (r >> 16);
  };
  std::array<uint32_t, kPoolSize> pool{};
  for (int i = 0; i < kPoolSize; ++i) pool[i] = hashmix(i < static_cast<int>(entropy.size()) ? entropy[i] : 0);
  for (int src = 0; src < kPoolSize; ++src)
    for (int dst = 0; dst < kPoolSize; ++dst)
      if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  for (size_t src = kPoolSize; src < entropy.size(); ++src)
    for (int dst = 0; dst < kPoolSize; ++dst) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  uint32_t h = kInitB;
  std::array<uint32_t, 8> words{};
  for (int i = 0; i < 8; ++i) {
    uint32_t v = pool[i % kPoolSize] ^ h;
    h *= kMultB;
    v *= h;
    words[i] = v ^ (v >> 16);
  }
  std::array<uint64_t, 4> out{};
  for (int i = 0; i < 4; ++i) out[i] = words[2 * i] | (static_cast<uint64_t>(words[2 * i + 1]) << 32);
  return out;
}

class Pcg64 {
 public:
  explicit Pcg64(uint64_t seed) {
    const auto s = seed_sequence_state(seed);
    const u128 initstate = (static_cast<u128>(s[0]) << 64) | s[1];
    const u128 initseq = (static_cast<u128>(s[2]) << 64) | s[3];
    inc_ = (initseq << 1) | 1;
    state_ = 0;
    step();
    state_ += initstate;
    step();
  }
  uint64_t next64() {
    step();
    const uint64_t x = static_cast<uint64_t>(state_ >> 64) ^ static_cast<uint64_t>(state_);
    const unsigned rot = static_cast<unsigned>(state_ >> 122);
    return (x >> rot) | (x << ((64 - rot) & 63));
  }
  uint32_t next32() {  // numpy buffers the high half of a 64-bit draw
    if (has_half_) {
      has_half_ = false;
      return half_;
    }
    const uint64_t v = next64();
    has_half_ = true;
    half_ = static_cast<uint32_t>(v >> 32);
    return static_cast<uint32_t>(v);
  }

 private:
  void step() {
    const u128 mult = (static_cast<u128>(2549297995355413924ULL) << 64) | 4865540595714422341ULL;
    state_ = state_ * mult + inc_;
  }
  u128 state_ = 0, inc_ = 0;
  bool has_half_ = false;
  uint32_t half_ = 0;
};

// Uniform in [0, max] by masked rejection (numpy's random_interval).
uint64_t random_interval(Pcg64& g, uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int shift : {1, 2, 4, 8, 16, 32}) mask |= mask >> shift;
  uint64_t v;
  if (max <= 0xffffffffULL) {
    do v = g.next32() & mask;
    while (v > max);
  } else {
    do v = g.next64() & mask;
    while (v > max);
  }
  return v;
}

}  // namespace

std::vector<int64_t> numpy_permutation(uint64_t seed, int64_t n) {
  if (n < 0) throw Error(ErrorKind::kUsage, "numpy_permutation: negative length");
  std::vector<int64_t> a(static_cast<size_t>(n));
  std::iota(a.begin(), a.end(), 0);
  Pcg64 g(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(a[static_cast<size_t>(i)], a[random_interval(g, static_cast<uint64_t>(i))]);
  return a;
}

}  // namespace irq
