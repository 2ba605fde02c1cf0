// Sliding-window perplexity.
#include "eval/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/error.h"

namespace irq {

PerplexityResult perplexity(LlamaForCausalLM& model, const Tokenizer& tok, const std::string& text, int64_t window,
                            int64_t stride, ProgressSink* progress, const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  window = std::min<int64_t>(window, model->config.max_position_embeddings);
  if (window < 2 || stride < 1 || stride > window)
    throw make_error(ErrorKind::kUsage, "perplexity", "need window >= 2 and 1 <= stride <= window");
  const auto ids = tok.encode(text, /*add_bos=*/true);
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n < 2) throw make_error(ErrorKind::kInvalidInput, "perplexity", "the text has fewer than 2 tokens");
  torch::NoGradGuard no_grad;
  const auto device = model->options().device();
  PerplexityResult r;
  double nll = 0;
  int64_t prev_end = 0;
  const int64_t nwindows = (n + stride - 1) / stride;
  for (int64_t begin = 0; begin < n; begin += stride) {
    const int64_t end = std::min(begin + window, n), len = end - begin;
    const int64_t trg = end - prev_end;  // new tokens this window
    auto x = torch::tensor(std::vector<int64_t>(ids.begin() + begin, ids.begin() + end), torch::kInt64).view({1, -1});
    auto logp = torch::log_softmax(model->forward(x.to(device))[0].to(torch::kFloat64), -1);  // (len, V)
    // Token at position p (p >= 1 in the window) is predicted by logits at p - 1; score the last `trg`.
    const int64_t first = std::max<int64_t>(1, len - trg);
    double window_nll = 0;
    if (first < len) {
      auto rows = torch::arange(first - 1, len - 1, torch::TensorOptions().dtype(torch::kInt64).device(logp.device()));
      auto targets = x[0].narrow(0, first, len - first).to(logp.device());
      window_nll = -logp.index({rows, targets}).sum().item<double>();
      nll += window_nll;
      r.tokens += len - first;
    }
    r.window_tokens.push_back(std::max<int64_t>(0, len - first));
    r.window_nll.push_back(window_nll);
    prev_end = end;
    ++r.windows;
    if (progress) progress->progress("perplexity", r.windows, nwindows);
    if (cancel) cancel->throw_if_cancelled("perplexity");
    if (end == n) break;
  }
  r.nll = nll / static_cast<double>(r.tokens);
  r.perplexity = std::exp(r.nll);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace irq
