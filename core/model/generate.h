// Autoregressive generation with the KV cache: greedy (temperature 0) or
// sampled (temperature, top-k, top-p) with a seeded generator, so a run is
// reproducible on any device. Stops at EOS, at max_new_tokens, at the model's
// context length, or when the callback returns false.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/generate_options.h"
#include "model/llama.h"

namespace irq {

struct GenerateStats {
  int64_t prompt_tokens = 0;
  int64_t new_tokens = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

// prompt: token ids including BOS. Returns the new tokens only.
std::vector<int64_t> generate(LlamaForCausalLM& model, const std::vector<int64_t>& prompt, const GenerateOptions& options,
                              const std::function<bool(int64_t token)>& on_token = {}, GenerateStats* stats = nullptr);

// Picks the next token from one row of logits (V) as generate() does.
int64_t pick_token(const torch::Tensor& logits, const GenerateOptions& options, uint64_t& rng_state);

}  // namespace irq
