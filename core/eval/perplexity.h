// Perplexity of a text under the model with a sliding window (as the
// transformers perplexity guide computes it): windows of `window` tokens
// advanced by `stride`; each window scores only the tokens no earlier window
// scored, with the rest of the window as context.
#pragma once

#include <string>
#include <vector>

#include "common/progress.h"
#include "model/llama.h"
#include "text/tokenizer.h"

namespace irq {

struct PerplexityResult {
  double perplexity = 0;
  double nll = 0;        // mean negative log-likelihood (nats/token)
  int64_t tokens = 0;    // scored tokens
  int64_t windows = 0;
  double seconds = 0;
  // Per window: the tokens it scored (the ones no earlier window scored) and
  // their summed negative log-likelihood; sum(window_nll) / tokens == nll.
  std::vector<int64_t> window_tokens;
  std::vector<double> window_nll;
};

PerplexityResult perplexity(LlamaForCausalLM& model, const Tokenizer& tokenizer, const std::string& text, int64_t window,
                            int64_t stride, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr);

}  // namespace irq
