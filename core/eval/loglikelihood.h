// Log-likelihood of continuations given contexts, as lm-evaluation-harness's
// HFLM computes it for a causal model:
//   encode_pairs (lm-eval's _encode_pair per request) trailing whitespace of the context moves to the
//                continuation; the pair is tokenized whole and split at the
//                length of the context's own tokens (whole[len(ctx):]), with
//                the tokenizer's default special tokens (BOS for LLaMA,
//                nothing for GPT-2/Qwen2: HF's add_special_tokens=True). An
//                empty context becomes the prefix token (BOS, else EOS).
//   score        input = (context + continuation)[-(L+1):][:-1] with L the
//                model's context length; the sum over the continuation's
//                tokens of log_softmax(logits) at their positions, in float64
//                from float32 log-probabilities; `greedy` when every
//                continuation token is the argmax.
// score_group() scores the requests of one document together. shared: the
// longest token prefix all of them have (the context, or for WinoGrande the
// sentence before the blank) runs once into a KV cache, and only each
// request's remainder runs, batched; otherwise every request runs whole (the
// reference path, batched likewise with padding masked).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/llama.h"
#include "text/tokenizer.h"

namespace irq {

struct LoglikRequest {
  std::vector<int64_t> context, continuation;
};

struct Loglik {
  double logprob = 0;
  bool greedy = false;
  int64_t tokens = 0;  // continuation tokens scored
};

// The requests of one document, each as encode_pair above; a context shared
// by several choices is tokenized once.
std::vector<LoglikRequest> encode_pairs(const Tokenizer& tok, const std::vector<std::pair<std::string, std::string>>& pairs);

struct ScoreOptions {
  bool shared = true;
  int64_t batch = 0;       // rows per forward; 0: 8 on CPU, 32 on CUDA
  int64_t max_length = 0;  // 0: the model's max_position_embeddings
};

struct GroupStats {
  int64_t prefix_tokens = 0;  // run once for the group (shared path)
  int64_t tokens_run = 0;     // positions through the model in all
};

std::vector<Loglik> score_group(LlamaForCausalLM& model, const std::vector<LoglikRequest>& requests, const ScoreOptions& options,
                                GroupStats* stats = nullptr);

}  // namespace irq
