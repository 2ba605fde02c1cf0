// Greedy and sampled decoding over the KV cache.
#include "model/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "common/stopwatch.h"

namespace irq {

namespace {

// splitmix64: a small, portable generator so sampling is identical everywhere.
uint64_t next_u64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double next_unit(uint64_t& state) { return static_cast<double>(next_u64(state) >> 11) * 0x1.0p-53; }

}  // namespace

int64_t pick_token(const torch::Tensor& logits, const GenerateOptions& options, uint64_t& rng_state) {
  // Greedy: the first largest logit, found where the logits are; one integer crosses to the host.
  if (options.temperature <= 0) return logits.flatten().argmax().item<int64_t>();
  // Sampled: the logits in float32 on the host (exact for bf16/fp16/fp32
  // models), and only the top k put in order: ties broken by the lower id,
  // as a stable sort of the whole vocabulary would.
  const auto row = logits.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const float* z = row.data_ptr<float>();
  const int64_t V = row.numel();
  std::vector<int64_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  int64_t keep = options.top_k > 0 ? std::min(options.top_k, V) : V;
  const auto before = [&](int64_t a, int64_t b) { return z[a] > z[b] || (z[a] == z[b] && a < b); };
  if (keep < V) std::partial_sort(order.begin(), order.begin() + keep, order.end(), before);
  else std::sort(order.begin(), order.end(), before);
  std::vector<double> p(keep);
  const double zmax = z[order[0]];
  double sum = 0;
  for (int64_t i = 0; i < keep; ++i) sum += p[i] = std::exp((static_cast<double>(z[order[i]]) - zmax) / options.temperature);
  if (options.top_p < 1.0) {  // smallest prefix whose mass reaches top_p
    double mass = 0;
    for (int64_t i = 0; i < keep; ++i) {
      mass += p[i] / sum;
      if (mass >= options.top_p) {
        keep = i + 1;
        break;
      }
    }
    sum = std::accumulate(p.begin(), p.begin() + keep, 0.0);
  }
  double u = next_unit(rng_state) * sum;
  for (int64_t i = 0; i < keep; ++i) {
    u -= p[i];
    if (u <= 0) return order[i];
  }
  return order[keep - 1];
}

std::vector<int64_t> generate(LlamaForCausalLM& model, const std::vector<int64_t>& prompt, const GenerateOptions& options,
                              const std::function<bool(int64_t)>& on_token, GenerateStats* stats) {
  if (prompt.empty()) throw make_error(ErrorKind::kUsage, "generate", "the prompt has no tokens (not even BOS)");
  const auto& config = model->config;
  const int64_t context = config.max_position_embeddings;
  if (static_cast<int64_t>(prompt.size()) >= context)
    throw make_error(ErrorKind::kUsage, "generate", "the prompt has " + std::to_string(prompt.size()) +
                                                        " tokens; the model's context is " + std::to_string(context));
  const int64_t budget = std::min<int64_t>(options.max_new_tokens, context - static_cast<int64_t>(prompt.size()));
  torch::NoGradGuard no_grad;
  const auto device = model->options().device();
  auto cache = model->make_cache(/*batch=*/1, static_cast<int64_t>(prompt.size()) + budget);
  uint64_t rng = options.seed;
  std::vector<int64_t> out;

  auto t0 = std::chrono::steady_clock::now();
  auto ids = torch::tensor(prompt, torch::kInt64).view({1, -1}).to(device);
  auto logits = model->forward(ids, &cache, /*key_mask=*/{}, /*last_only=*/true);  // (1, 1, V)
  int64_t next = budget > 0 ? pick_token(logits[0][0], options, rng) : -1;
  const double prefill = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  while (static_cast<int64_t>(out.size()) < budget) {
    out.push_back(next);
    const bool eos = std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), next) != config.eos_token_ids.end();
    if (on_token && !on_token(next)) break;
    if ((eos && options.stop_at_eos) || static_cast<int64_t>(out.size()) == budget) break;
    logits = model->forward(torch::full({1, 1}, next, torch::TensorOptions().dtype(torch::kInt64).device(device)), &cache,
                            /*key_mask=*/{}, /*last_only=*/true);
    next = pick_token(logits[0][0], options, rng);
  }
  if (stats) {
    stats->prompt_tokens = static_cast<int64_t>(prompt.size());
    stats->new_tokens = static_cast<int64_t>(out.size());
    stats->prefill_seconds = prefill;
    stats->decode_seconds = seconds_since(t0);
  }
  return out;
}

}  // namespace irq
