// lm-eval's loglikelihood on the engine's model (see loglikelihood.h).
#include "eval/loglikelihood.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "eval/task_text.h"

namespace irq {

namespace {

// lm-eval's _encode_pair (loglikelihood.h), the (rstripped) context's own ids
// cached by text.
LoglikRequest encode_cached(const Tokenizer& tok, const std::string& context, const std::string& continuation,
                            std::map<std::string, std::vector<int64_t>>& contexts) {
  LoglikRequest r;
  if (context.empty()) {
    r.continuation = tok.encode_text(continuation, /*add_special=*/false, /*parse_special=*/true);
    const int64_t prefix = tok.bos_id() >= 0 ? tok.bos_id() : tok.eos_id();
    r.context = {prefix};
    if (!r.continuation.empty() && r.continuation.front() == prefix) r.continuation.erase(r.continuation.begin());
    return r;
  }
  const std::string ctx = py_rstrip(context);
  const std::string cont = context.substr(ctx.size()) + continuation;
  const auto whole = tok.encode_text(ctx + cont, /*add_special=*/true, /*parse_special=*/true);
  auto it = contexts.find(ctx);
  if (it == contexts.end()) it = contexts.emplace(ctx, tok.encode_text(ctx, true, true)).first;
  r.context = it->second;
  const size_t n = std::min(r.context.size(), whole.size());
  r.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(n), whole.end());
  return r;
}

}  // namespace

std::vector<LoglikRequest> encode_pairs(const Tokenizer& tok, const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::map<std::string, std::vector<int64_t>> contexts;
  std::vector<LoglikRequest> out;
  for (const auto& [context, continuation] : pairs) out.push_back(encode_cached(tok, context, continuation, contexts));
  return out;
}

namespace {

// One request as the model sees it: the input ids and where its scored
// positions start in them.
struct Row {
  std::vector<int64_t> input, targets;
  int64_t first = 0;  // input position whose logits predict targets[0]
};

Row make_row(const LoglikRequest& r, int64_t L) {
  if (r.continuation.empty()) throw make_error(ErrorKind::kInvalidInput, "loglikelihood", "a continuation has no tokens");
  std::vector<int64_t> seq = r.context;
  seq.insert(seq.end(), r.continuation.begin(), r.continuation.end());
  if (static_cast<int64_t>(seq.size()) > L + 1) seq.erase(seq.begin(), seq.end() - (L + 1));
  Row row;
  row.input.assign(seq.begin(), seq.end() - 1);
  const int64_t n = std::min<int64_t>(static_cast<int64_t>(r.continuation.size()), static_cast<int64_t>(row.input.size()));
  row.targets.assign(seq.end() - n, seq.end());
  row.first = static_cast<int64_t>(row.input.size()) - n;
  return row;
}

}  // namespace

std::vector<Loglik> score_group(LlamaForCausalLM& model, const std::vector<LoglikRequest>& requests, const ScoreOptions& options,
                                GroupStats* stats) {
  torch::NoGradGuard no_grad;
  const auto device = model->options().device();
  const int64_t L = options.max_length > 0 ? options.max_length : model->config.max_position_embeddings;
  const int64_t batch = options.batch > 0 ? options.batch : device.is_cuda() ? 32 : 8;
  std::vector<Row> rows;
  for (const auto& r : requests) rows.push_back(make_row(r, L));
  // The shared prefix: common to every input and ending before the first
  // scored position of each (its logits must come out of the batched run).
  int64_t P = 0;
  if (options.shared && rows.size() > 1) {
    P = rows[0].first;
    for (const auto& row : rows) {
      P = std::min(P, row.first);
      int64_t k = 0;
      while (k < P && row.input[static_cast<size_t>(k)] == rows[0].input[static_cast<size_t>(k)]) ++k;
      P = k;
    }
  } else if (options.shared && rows.size() == 1) {
    P = rows[0].first;
  }
  KvCache prefix;
  if (P > 0) {
    prefix = model->make_cache(1, P);
    model->model->forward(torch::tensor(std::vector<int64_t>(rows[0].input.begin(), rows[0].input.begin() + P), torch::kInt64)
                              .view({1, -1})
                              .to(device),
                          &prefix);
  }
  if (stats) {
    stats->prefix_tokens += P;
    stats->tokens_run += P;
  }
  std::vector<Loglik> out(rows.size());
  for (size_t b0 = 0; b0 < rows.size(); b0 += static_cast<size_t>(batch)) {
    const size_t b1 = std::min(rows.size(), b0 + static_cast<size_t>(batch));
    const int64_t B = static_cast<int64_t>(b1 - b0);
    int64_t T = 0;
    for (size_t i = b0; i < b1; ++i) T = std::max<int64_t>(T, static_cast<int64_t>(rows[i].input.size()) - P);
    std::vector<int64_t> ids(static_cast<size_t>(B * T), 0), mask_v(static_cast<size_t>(B * (P + T)), 0);
    std::vector<int64_t> pick, targets;  // flat (row * T + position) of every scored position, and its target
    for (int64_t j = 0; j < B; ++j) {
      const auto& row = rows[b0 + static_cast<size_t>(j)];
      const int64_t n = static_cast<int64_t>(row.input.size()) - P;
      std::copy(row.input.begin() + P, row.input.end(), ids.begin() + j * T);
      std::fill(mask_v.begin() + j * (P + T), mask_v.begin() + j * (P + T) + P + n, 1);
      for (size_t t = 0; t < row.targets.size(); ++t) {
        pick.push_back(j * T + row.first - P + static_cast<int64_t>(t));
        targets.push_back(row.targets[t]);
      }
    }
    auto x = torch::tensor(ids, torch::kInt64).view({B, T}).to(device);
    auto key_mask = torch::tensor(mask_v, torch::kInt64).view({B, P + T}).to(torch::kBool).to(device);
    torch::Tensor hidden;
    if (P > 0) {
      auto cache = model->make_cache(B, P + T);
      for (size_t l = 0; l < cache.k.size(); ++l) {
        cache.k[l].narrow(2, 0, P).copy_(prefix.k[l].expand({B, -1, -1, -1}));
        cache.v[l].narrow(2, 0, P).copy_(prefix.v[l].expand({B, -1, -1, -1}));
      }
      cache.length = P;
      hidden = model->model->forward(x, &cache, key_mask);
    } else {
      hidden = model->model->forward(x, nullptr, key_mask);
    }
    if (stats) stats->tokens_run += B * T;
    const auto picked = hidden.reshape({B * T, -1}).index_select(0, torch::tensor(pick, torch::kInt64).to(device));
    const auto logp = torch::log_softmax(model->lm_head(picked).to(torch::kFloat32), -1);  // (N, V)
    const auto tgt = torch::tensor(targets, torch::kInt64).to(device);
    const auto lp = logp.gather(1, tgt.unsqueeze(1)).squeeze(1).to(torch::kCPU, torch::kFloat64).contiguous();
    const auto greedy = logp.argmax(1).eq(tgt).to(torch::kCPU).contiguous();
    const double* lpp = lp.data_ptr<double>();
    const bool* gp = greedy.data_ptr<bool>();
    size_t k = 0;
    for (int64_t j = 0; j < B; ++j) {
      auto& o = out[b0 + static_cast<size_t>(j)];
      o.greedy = true;
      o.tokens = static_cast<int64_t>(rows[b0 + static_cast<size_t>(j)].targets.size());
      for (int64_t t = 0; t < o.tokens; ++t, ++k) {
        o.logprob += lpp[k];
        o.greedy = o.greedy && gp[k];
      }
    }
  }
  return out;
}

}  // namespace irq
