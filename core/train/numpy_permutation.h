// numpy.random.default_rng(seed).permutation(n), bit for bit: SeedSequence's
// entropy pool, PCG64 (XSL-RR 128/64) seeded from it, and Generator.shuffle's
// Fisher-Yates with masked rejection sampling (random_interval). Hugging Face
// datasets' train_test_split(shuffle=True, seed=S) is this permutation, so the
// rows a reference run held out can be held out here too.
#pragma once

#include <cstdint>
#include <vector>

namespace irq {

std::vector<int64_t> numpy_permutation(uint64_t seed, int64_t n);

}  // namespace irq
