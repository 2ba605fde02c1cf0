// MMLU scoring: full prompts or a shared k-shot header with batched suffixes.
#include "eval/mmlu_eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "eval/mmlu_prompt.h"

namespace irq {

namespace {

struct Prompt {
  std::vector<int64_t> ids;
  int shots = 0;
};

// k shots, dropped one at a time until the prompt fits `limit` tokens; a
// prompt too long even with 0 shots keeps its last `limit` tokens.
Prompt build_prompt(const Tokenizer& tok, const MmluSubject& s, const MmluQuestion& q, int shots, int64_t limit) {
  Prompt p;
  p.shots = std::min<int>(shots, static_cast<int>(s.dev.size()));
  const std::string tail = mmlu_example(q, false);
  p.ids = tok.encode(mmlu_header(s.name, s.dev, p.shots) + tail, /*add_bos=*/true);
  while (static_cast<int64_t>(p.ids.size()) > limit && p.shots > 0) {
    --p.shots;
    p.ids = tok.encode(mmlu_header(s.name, s.dev, p.shots) + tail, true);
  }
  if (static_cast<int64_t>(p.ids.size()) > limit) p.ids.erase(p.ids.begin(), p.ids.end() - limit);
  return p;
}

// z: the logits of the answer letters A-D at the last prompt position.
void score(MmluAnswer& a, const double* z4) {
  double z[4], zmax = -INFINITY;
  for (int k = 0; k < 4; ++k) zmax = std::max(zmax, z[k] = z4[k]);
  double sum = 0;
  for (double& v : z) sum += v = std::exp(v - zmax);
  for (int k = 0; k < 4; ++k) a.probs[k] = z[k] / sum;
  a.predicted = static_cast<int>(std::max_element(a.probs, a.probs + 4) - a.probs);
}

// (B, V) logits -> (B, 4) float64 on the host: the letters' columns (ids on
// the logits' device) are picked there, so 4 values per question cross, not V.
torch::Tensor letter_logits(const torch::Tensor& logits, const torch::Tensor& letters) {
  return logits.index_select(-1, letters).to(torch::kCPU, torch::kFloat64).contiguous();
}

torch::Tensor last_letter_logits(LlamaForCausalLM& model, const std::vector<int64_t>& ids, const torch::Tensor& letters) {
  const auto device = model->options().device();
  auto x = torch::tensor(ids, torch::kInt64).view({1, -1}).to(device);
  return letter_logits(model->forward(x, nullptr, {}, /*last_only=*/true)[0], letters);  // (1, 4)
}

}  // namespace

MmluResult evaluate_mmlu(LlamaForCausalLM& model, const Tokenizer& tok, const std::vector<MmluSubject>& subjects,
                         const MmluCategories& categories, const MmluOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  MmluResult r;
  r.limit = std::min<int64_t>(options.max_tokens, model->config.max_position_embeddings);
  r.shots = options.shots;
  std::vector<int64_t> letters;
  for (const char* l : {"A", "B", "C", "D"}) letters.push_back(tok.encode(l, /*add_bos=*/false).back());
  const auto letter_ids = torch::tensor(letters, torch::kInt64).to(model->options().device());
  int64_t total = 0, done = 0;
  for (const auto& s : subjects) total += static_cast<int64_t>(s.test.size());
  const auto device = model->options().device();
  // On a CPU the cores are busy with one suffix already and padding costs; a GPU wants wide batches.
  const int64_t batch = options.batch > 0 ? options.batch : device.is_cuda() ? 16 : 4;

  for (const auto& s : subjects) {
    std::vector<MmluAnswer> answers(s.test.size());
    std::vector<Prompt> prompts(s.test.size());
    for (size_t i = 0; i < s.test.size(); ++i) {
      prompts[i] = build_prompt(tok, s, s.test[i], options.shots, r.limit);
      answers[i] = {s.name, static_cast<int>(i), s.test[i].answer, 0, {0, 0, 0, 0}, prompts[i].shots,
                    static_cast<int64_t>(prompts[i].ids.size()), false};
    }
    auto tick = [&] {
      if (options.progress) options.progress->progress("mmlu", ++done, total);
      if (options.cancel) options.cancel->throw_if_cancelled("MMLU evaluation");
    };
    // Questions grouped by the shots that fit; each group shares the header
    // of that many shots (its KV cache computed once) when its tokens prefix
    // the question's tokens.
    std::map<int, std::vector<size_t>> groups;
    std::vector<size_t> alone;
    for (size_t i = 0; i < prompts.size(); ++i) (options.shared_header ? groups[prompts[i].shots] : alone).push_back(i);
    for (auto& [shots, members] : groups) {
      const std::vector<int64_t> header = tok.encode(mmlu_header(s.name, s.dev, shots), true);
      std::vector<size_t> shared;
      for (size_t i : members) {
        const auto& ids = prompts[i].ids;
        const bool prefix = ids.size() > header.size() && std::equal(header.begin(), header.end(), ids.begin());
        (prefix ? shared : alone).push_back(i);
      }
      if (shared.empty()) continue;
      // Similar lengths in a batch: less padding.
      std::stable_sort(shared.begin(), shared.end(), [&](size_t a, size_t b) { return prompts[a].ids.size() < prompts[b].ids.size(); });
      const int64_t H = static_cast<int64_t>(header.size());
      int64_t Tmax = 0;
      for (size_t i : shared) Tmax = std::max<int64_t>(Tmax, static_cast<int64_t>(prompts[i].ids.size()) - H);
      // One cache for the group: the header's keys/values computed once and
      // copied into every batch row once; each batch writes only its suffix.
      const int64_t rows = std::min<int64_t>(batch, static_cast<int64_t>(shared.size()));
      auto group_cache = model->make_cache(rows, H + Tmax);
      {
        auto header_cache = model->make_cache(1, H);
        model->model->forward(torch::tensor(header, torch::kInt64).view({1, -1}).to(device), &header_cache);
        for (size_t l = 0; l < group_cache.k.size(); ++l) {
          group_cache.k[l].narrow(2, 0, H).copy_(header_cache.k[l].expand({rows, -1, -1, -1}));
          group_cache.v[l].narrow(2, 0, H).copy_(header_cache.v[l].expand({rows, -1, -1, -1}));
        }
      }
      for (size_t b0 = 0; b0 < shared.size(); b0 += static_cast<size_t>(batch)) {
        const size_t b1 = std::min(shared.size(), b0 + static_cast<size_t>(batch));
        const int64_t B = static_cast<int64_t>(b1 - b0);
        int64_t T = 0;
        for (size_t j = b0; j < b1; ++j) T = std::max<int64_t>(T, static_cast<int64_t>(prompts[shared[j]].ids.size()) - H);
        auto ids = torch::zeros({B, T}, torch::kInt64);
        auto key_mask = torch::zeros({B, H + T}, torch::kBool);
        key_mask.narrow(1, 0, H).fill_(true);
        std::vector<int64_t> last(static_cast<size_t>(B));
        for (int64_t j = 0; j < B; ++j) {
          const auto& p = prompts[shared[b0 + static_cast<size_t>(j)]].ids;
          const int64_t n = static_cast<int64_t>(p.size()) - H;
          ids[j].narrow(0, 0, n).copy_(torch::tensor(std::vector<int64_t>(p.begin() + H, p.end()), torch::kInt64));
          key_mask[j].narrow(0, H, n).fill_(true);
          last[static_cast<size_t>(j)] = n - 1;
        }
        KvCache cache;  // views of the group cache: B rows, H + T positions
        for (size_t l = 0; l < group_cache.k.size(); ++l) {
          cache.k.push_back(group_cache.k[l].narrow(0, 0, B).narrow(2, 0, H + T));
          cache.v.push_back(group_cache.v[l].narrow(0, 0, B).narrow(2, 0, H + T));
        }
        cache.length = H;
        auto hidden = model->model->forward(ids.to(device), &cache, key_mask.to(device));  // (B, T, C)
        auto idx = torch::tensor(last, torch::kInt64).to(device);
        auto picked = hidden.index({torch::arange(B, torch::TensorOptions().dtype(torch::kInt64).device(device)), idx});
        const auto z = letter_logits(model->lm_head(picked), letter_ids);  // (B, 4)
        for (int64_t j = 0; j < B; ++j) {
          auto& a = answers[shared[b0 + static_cast<size_t>(j)]];
          score(a, z.data_ptr<double>() + 4 * j);
          a.shared = true;
          tick();
        }
      }
    }
    for (size_t i : alone) {
      score(answers[i], last_letter_logits(model, prompts[i].ids, letter_ids).data_ptr<double>());
      tick();
    }
    for (auto& a : answers) {
      const Tally one{a.predicted == a.answer ? 1 : 0, 1};
      auto add = [&](Tally& t) {
        t.correct += one.correct;
        t.total += one.total;
      };
      add(r.subjects[s.name]);
      add(r.overall);
      add_to_groups(s.name, one, categories, &r.subcategories, &r.categories);
      r.answers.push_back(std::move(a));
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

void add_to_groups(const std::string& subject, const Tally& t, const MmluCategories& categories,
                   std::map<std::string, Tally>* subcategories, std::map<std::string, Tally>* by_category) {
  const auto sub = categories.subcategories.find(subject);
  if (sub == categories.subcategories.end()) return;
  auto add = [&](Tally& into) {
    into.correct += t.correct;
    into.total += t.total;
  };
  for (const auto& sc : sub->second) {
    add((*subcategories)[sc]);
    for (const auto& [cat, subs] : categories.categories)
      if (std::find(subs.begin(), subs.end(), sc) != subs.end()) add((*by_category)[cat]);
  }
}

nlohmann::json to_json(const MmluResult& r) {
  auto tallies = [](const std::map<std::string, Tally>& m) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, t] : m) j[k] = {{"accuracy", t.accuracy()}, {"correct", t.correct}, {"total", t.total}};
    return j;
  };
  return {{"overall", {{"accuracy", r.overall.accuracy()}, {"correct", r.overall.correct}, {"total", r.overall.total}}},
          {"subjects", tallies(r.subjects)},
          {"subcategories", tallies(r.subcategories)},
          {"categories", tallies(r.categories)},
          {"shots", r.shots},
          {"token_limit", r.limit},
          {"seconds", r.seconds},
          {"questions_per_second", r.seconds > 0 ? static_cast<double>(r.overall.total) / r.seconds : 0.0}};
}

void write_answers_csv(const std::filesystem::path& path, const MmluResult& r) {
  std::ostringstream s;
  s << "subject,index,answer,predicted,correct,pA,pB,pC,pD,shots,tokens\n";
  char buf[256];
  for (const auto& a : r.answers) {
    std::snprintf(buf, sizeof buf, ",%d,%c,%c,%d,%.6f,%.6f,%.6f,%.6f,%d,%lld\n", a.index, 'A' + a.answer, 'A' + a.predicted,
                  a.predicted == a.answer ? 1 : 0, a.probs[0], a.probs[1], a.probs[2], a.probs[3], a.shots,
                  static_cast<long long>(a.tokens));
    s << a.subject << buf;
  }
  write_text_atomic(path, s.str());
}

}  // namespace irq
