// irqlora eval mmlu MODEL_DIR --data DIR [--shots 5] [--subjects a,b] ...
// irqlora eval ppl MODEL_DIR --text FILE [--window 512] [--stride 256]
// Optionally on a quantized base (--quant nf4|int4|..., quantized on load) or
// an adapter, with a progress bar; results JSON / per-question CSV; recorded
// in the runs database. Both verbs are arguments -> request -> job -> printing.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/event_stream.h"
#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "runtime/runtime.h"
#include "jobs/mmlu_job.h"
#include "jobs/perplexity_job.h"

namespace irq::cli {

namespace {

// Through the same job as the workbench and experiments (jobs/mmlu_job.h).
int run_mmlu_verb(const ParsedArgs& args) {
  if (!args.has("data")) throw Error(ErrorKind::kUsage, "--data DIR (the MMLU folder with dev/ and test/) is required");
  if (args.has("requantize-n") && (!args.has("adapter") || args.has("quant")))
    throw Error(ErrorKind::kUsage, "--requantize-n rebuilds an adapter's own base: give --adapter DIR and no --quant");
  if (args.has("requantize-n") && args.integer("requantize-n") < 1) throw Error(ErrorKind::kUsage, "--requantize-n must be >= 1");
  MmluRequest r;
  r.model = eval_model_spec(args);
  r.data_dir = args.str("data");
  r.db_path = record_db_path(args);
  r.shots = static_cast<int>(args.integer("shots"));
  r.subjects = args.list("subjects");
  r.split = args.str("split");
  r.limit = args.integer("limit");
  r.max_tokens = args.integer("max-tokens");
  r.batch = args.integer("batch");
  r.shared_header = !args.flag("full-prompts");
  if (args.has("out")) r.results_json = args.str("out");
  if (args.has("answers")) r.answers_csv = args.str("answers");
  r.front_end = "cli";
  ProgressBar bar;
  const auto o = run_mmlu(r, &bar, /*cancel=*/nullptr, /*preloaded=*/nullptr, cli_run_events(&bar));
  bar.finish();
  std::printf("MMLU %d-shot (%s), %lld questions in %.1f s (%.2f questions/s), token limit %lld\n", r.shots,
              r.shared_header ? "shared header" : "full prompts", (long long)o.overall.total, o.seconds,
              o.seconds > 0 ? o.overall.total / o.seconds : 0.0, (long long)o.token_limit);
  for (const auto& [cat, t] : o.categories)
    std::printf("  %-28s %6.2f%%  (%lld/%lld)\n", cat.c_str(), 100 * t.accuracy(), (long long)t.correct, (long long)t.total);
  std::printf("  %-28s %6.2f%%  (%lld/%lld)\n", "overall (micro)", 100 * o.overall.accuracy(), (long long)o.overall.correct,
              (long long)o.overall.total);
  for (const auto& [s, t] : o.subjects)  // --progress jsonl: each subject, for a program that follows the CLI
    events::emit("subject", {{"run_id", o.run_id >= 0 ? nlohmann::ordered_json(o.run_id) : nlohmann::ordered_json(nullptr)},
                             {"subject", s}, {"correct", t.correct}, {"total", t.total}});
  return 0;
}

// Through the same job as the workbench and experiments (jobs/perplexity_job.h).
int run_ppl(const ParsedArgs& args) {
  PerplexityRequest r;
  r.model = eval_model_spec(args);
  if (!args.has("text")) throw Error(ErrorKind::kUsage, "--text FILE is required");
  r.text_file = args.str("text");
  r.window = args.integer("window");
  r.stride = args.integer("stride");
  r.db_path = record_db_path(args);
  ProgressBar bar;
  const auto p = run_perplexity(r, &bar);
  bar.finish();
  std::printf("perplexity %.4f (nll %.4f nats/token) over %lld tokens, %lld windows, %.2f s\n", p.perplexity, p.nll,
              (long long)p.tokens, (long long)p.windows, p.seconds);
  for (size_t i = 0; i < p.window_nll.size(); ++i)  // --progress jsonl: each window, for a program that follows the CLI
    events::emit("window", {{"run_id", p.run_id >= 0 ? nlohmann::ordered_json(p.run_id) : nlohmann::ordered_json(nullptr)},
                            {"index", static_cast<int64_t>(i)}, {"tokens", p.window_tokens[i]}, {"nll", p.window_nll[i]}});
  return 0;
}

}  // namespace

Verb eval_mmlu_verb() {
  VerbSpec spec{"eval mmlu", "MODEL_DIR", "MMLU accuracy per subject, subcategory and category (hendrycks prompts)", {}, 1, 1};
  spec.options = {{"data", "DIR", "MMLU folder (dev/, test/ CSVs)", ""},
                  {"shots", "K", "few-shot examples from dev", "5"},
                  {"subjects", "LIST", "comma-separated subjects (default all)", ""},
                  {"limit", "N", "only the first N questions of each subject (0: all)", "0"},
                  {"split", "NAME", "test or val", "test"},
                  {"max-tokens", "N", "prompt token limit (shots are dropped to fit)", "2048"},
                  {"batch", "B", "questions per forward on the shared-header path (0: 4 on CPU, 16 on CUDA)", "0"},
                  {"full-prompts", "", "run every prompt in full (no shared k-shot cache)", ""},
                  {"out", "FILE", "results JSON", ""},
                  {"answers", "FILE", "per-question CSV", ""},
                  {"adapter", "DIR", "LoRA / IEC-LoRA adapter from irqlora finetune (its quantized base is rebuilt and checked)", ""},
                  {"requantize-n", "N", "rebuild the adapter's ICQ base with n = N (the reference's evaluate_mmlu.py: 125)", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run_mmlu_verb};
}

Verb eval_ppl_verb() {
  VerbSpec spec{"eval ppl", "MODEL_DIR", "perplexity of a text file (sliding window)", {}, 1, 1};
  spec.options = {{"text", "FILE", "UTF-8 text", ""},
                  {"window", "N", "tokens per window", "512"},
                  {"stride", "N", "window step", "256"},
                  {"adapter", "DIR", "LoRA / IEC-LoRA adapter from irqlora finetune (its quantized base is rebuilt and checked)", ""}};
  for (auto& o : quant_options()) spec.options.push_back(o);
  for (auto& o : model_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run_ppl};
}

}  // namespace irq::cli
