// GPTQ's calibration set: `nsamples` segments of `seqlen` tokens cut from one
// text file, as GPTQ's data loaders do (the text tokenized as one stream with
// the tokenizer's default special tokens, BOS first for LLaMA; each segment
// at a start drawn from the stream). The starts are reproducible from the
// seed and simple to recompute elsewhere (scripts/fixtures/make_gptq_fixtures.py):
//   state = seed; for each segment: state += 0x9E3779B97F4A7C15;
//   z = splitmix64 finaliser(state); start = z mod (tokens - seqlen + 1).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace irq {

class Tokenizer;

// The starts of `count` segments of `seqlen` tokens in a stream of `tokens`.
std::vector<int64_t> calibration_starts(uint64_t seed, int64_t count, int64_t tokens, int64_t seqlen);

// Token ids, nsamples x seqlen row-major. Throws Error naming the file when it
// cannot be read or holds fewer than seqlen tokens.
std::vector<int64_t> calibration_tokens(const Tokenizer& tokenizer, const std::filesystem::path& file, int64_t nsamples,
                                        int64_t seqlen, uint64_t seed);

}  // namespace irq
