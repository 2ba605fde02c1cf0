// irqlora generate MODEL_DIR --prompt "..." [--max-new-tokens N] [--temperature T]:
// streams the continuation to stdout, statistics to stderr.
#include <cstdio>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "model/generate.h"

namespace irq::cli {

namespace {

int run(const ParsedArgs& args) {
  GenerateOptions g;
  g.max_new_tokens = args.integer("max-new-tokens");
  g.temperature = args.number("temperature");
  g.top_k = args.integer("top-k");
  g.top_p = args.number("top-p");
  g.seed = static_cast<uint64_t>(args.integer("seed"));
  if (g.max_new_tokens < 0) throw Error(ErrorKind::kUsage, "--max-new-tokens must be >= 0");
  if (g.temperature < 0) throw Error(ErrorKind::kUsage, "--temperature must be >= 0");
  if (!(g.top_p > 0 && g.top_p <= 1)) throw Error(ErrorKind::kUsage, "--top-p must be in (0, 1]");
  if (g.top_k < 0) throw Error(ErrorKind::kUsage, "--top-k must be >= 0");

  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  const Tokenizer& tok = loaded.require_tokenizer();
  const auto prompt = tok.encode(args.str("prompt"), /*add_bos=*/true);
  // Decode without the BOS the tokenizer adds (GPT-2 / Qwen2 tokenizers add none).
  const bool bos_first = !prompt.empty() && prompt.front() == tok.bos_id();
  std::vector<int64_t> all(prompt.begin() + (bos_first ? 1 : 0), prompt.end());
  std::string shown = tok.decode(all);
  std::printf("%s", shown.c_str());
  std::fflush(stdout);
  GenerateStats stats;
  generate(loaded.model, prompt, g, [&](int64_t token) {
        all.push_back(token);
        const std::string text = tok.decode(all);  // decode the whole text: pieces merge across tokens
        if (text.size() > shown.size() && text.compare(0, shown.size(), shown) == 0) std::printf("%s", text.c_str() + shown.size());
        shown = text;
        std::fflush(stdout);
        return true;
      }, &stats);
  std::printf("\n");
  std::fprintf(stderr, "[%lld prompt tokens, %lld new; prefill %.1f ms, decode %.1f tokens/s]\n",
               (long long)stats.prompt_tokens, (long long)stats.new_tokens, 1e3 * stats.prefill_seconds,
               stats.decode_seconds > 0 ? stats.new_tokens / stats.decode_seconds : 0.0);
  return 0;
}

}  // namespace

Verb generate_verb() {
  VerbSpec spec{"generate", "MODEL_DIR", "continue a prompt (greedy, or sampled with --temperature)", {}, 1, 1};
  spec.options = {{"prompt", "TEXT", "the prompt (BOS is prepended)", ""},
                  {"max-new-tokens", "N", "tokens to generate", "64"},
                  {"temperature", "T", "0 = greedy; > 0 samples", "0"},
                  {"top-k", "K", "sample among the K most likely tokens (0 = all)", "0"},
                  {"top-p", "P", "nucleus sampling mass", "1"},
                  {"seed", "S", "sampling seed", "0"}};
  for (auto& o : model_options()) spec.options.push_back(o);
  return {spec, &run};
}

}  // namespace irq::cli
