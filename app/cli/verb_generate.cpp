// irqlora generate MODEL_DIR --prompt "..." [--chat [--system TEXT]] [--max-new-tokens N]
//   [--temperature T] [--adapter DIR] [--quant M ...]: the generate job (jobs/generate_job.h),
// streaming the prompt and its continuation to stdout, statistics to stderr.
#include <cstdio>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "jobs/generate_job.h"
#include "runtime/runtime.h"

namespace irq::cli {

namespace {

int run_generate(const ParsedArgs& args) {
  init_runtime();
  GenerateRequest r;
  r.model = eval_model_spec(args);
  r.prompt = args.str("prompt");
  r.sampling.max_new_tokens = args.integer("max-new-tokens");
  r.sampling.temperature = args.number("temperature");
  r.sampling.top_k = args.integer("top-k");
  r.sampling.top_p = args.number("top-p");
  r.sampling.seed = static_cast<uint64_t>(args.integer("seed"));
  r.echo_prompt = true;
  r.chat = args.flag("chat");
  r.system = args.str("system");
  const auto out = run_generate(r, [&](const std::string& piece) {
    std::printf("%s", piece.c_str());
    std::fflush(stdout);
  });
  std::printf("\n");
  std::fprintf(stderr, "[%lld prompt tokens, %lld new; prefill %.1f ms, decode %.1f tokens/s]\n", (long long)out.prompt_tokens,
               (long long)out.new_tokens, 1e3 * out.prefill_seconds, out.tokens_per_second());
  return 0;
}

}  // namespace

Verb generate_verb() {
  VerbSpec spec{"generate", "MODEL_DIR", "continue a prompt (greedy, or sampled with --temperature)", {}, 1, 1};
  spec.options = {{"prompt", "TEXT", "the prompt (BOS is prepended)", ""},
                  {"chat", "", "send the prompt as the user's message in the model's chat template", ""},
                  {"system", "TEXT", "with --chat: a system message before it", ""},
                  {"max-new-tokens", "N", "tokens to generate", "64"},
                  {"temperature", "T", "0 = greedy; > 0 samples", "0"},
                  {"top-k", "K", "sample among the K most likely tokens (0 = all)", "0"},
                  {"top-p", "P", "nucleus sampling mass", "1"},
                  {"seed", "S", "sampling seed", "0"}};
  spec.options.push_back({"adapter", "DIR", "LoRA / IEC-LoRA adapter from irqlora finetune (its quantized base is rebuilt and checked)", ""});
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  return {spec, &run_generate};
}

}  // namespace irq::cli
