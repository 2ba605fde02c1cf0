// irqlora eval mmlu MODEL_DIR --data DIR [--shots 5] [--subjects a,b] ...
// irqlora eval ppl MODEL_DIR --text FILE [--window 512] [--stride 256]
// Optionally on a quantized base (--quant nf4|int4|..., in place), with a
// progress bar; results JSON / per-question CSV; recorded in the runs database.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/event_stream.h"
#include "jobs/memory_check.h"
#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "runtime/runtime.h"
#include "common/atomic_file.h"
#include "eval/mmlu_eval.h"
#include "jobs/perplexity_job.h"
#include "train/trainer.h"

namespace irq::cli {

namespace {

int run_mmlu(const ParsedArgs& args) {
  if (!args.has("data")) throw Error(ErrorKind::kUsage, "--data DIR (the MMLU folder with dev/ and test/) is required");
  if (args.has("requantize-n") && (!args.has("adapter") || args.has("quant")))
    throw Error(ErrorKind::kUsage, "--requantize-n rebuilds an adapter's own base: give --adapter DIR and no --quant");
  if (args.has("requantize-n") && args.integer("requantize-n") < 1) throw Error(ErrorKind::kUsage, "--requantize-n must be >= 1");
  MmluOptions o;
  o.shots = static_cast<int>(args.integer("shots"));
  o.max_tokens = args.integer("max-tokens");
  o.batch = args.integer("batch");
  o.shared_header = !args.flag("full-prompts");
  if (o.shots < 0 || o.max_tokens < 16 || o.batch < 0) throw Error(ErrorKind::kUsage, "need --shots >= 0, --max-tokens >= 16, --batch >= 0");
  auto subjects = load_mmlu(args.str("data"), args.str("split"), args.list("subjects"));
  // --limit N: the first N questions of each subject (lm-eval's --limit, MMLU's subjects being its tasks).
  const int64_t limit = args.integer("limit");
  if (limit < 0) throw Error(ErrorKind::kUsage, "--limit must be >= 0 (0: every question)");
  int64_t questions = 0;
  for (auto& s : subjects) {
    if (limit > 0 && static_cast<int64_t>(s.test.size()) > limit) s.test.resize(static_cast<size_t>(limit));
    questions += static_cast<int64_t>(s.test.size());
  }
  // The size of the work before any of it starts; the progress bar adds the estimate once batches have run.
  std::fprintf(stderr, "MMLU: %lld questions in %zu subjects, %d-shot%s\n", (long long)questions, subjects.size(), o.shots,
               limit > 0 ? (" (--limit " + std::to_string(limit) + " per subject)").c_str() : "");
  nlohmann::json config = {{"data", args.str("data")}, {"shots", o.shots},        {"split", args.str("split")},
                           {"max_tokens", o.max_tokens}, {"subjects", args.str("subjects")}, {"shared_header", o.shared_header}};
  if (limit > 0) config["limit"] = limit;
  {  // the predicted peak before anything is loaded; refused when the GPU is too small
    const auto device = parse_device(args.str("device"));
    MemoryPlanRequest plan;
    plan.model_dir = args.positional.at(0);
    if (args.has("quant")) plan.quant = args.str("quant");
    plan.quant_group = args.integer("quant-group");
    plan.icq = !args.flag("quant-no-icq");
    plan.dtype_bytes = device.is_cuda() ? 2 : 4;
    plan.eval_batch = o.batch > 0 ? o.batch : device.is_cuda() ? 16 : 4;
    plan.eval_seq = o.max_tokens;
    plan.targets = {};  // the adapter, if any, is small beside the base
    check_memory_plan(plan, device, "eval", [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  }
  auto loaded = load_for_cli(args, /*require_tokenizer=*/true);
  config["quant"] = quantize_for_cli(loaded, args);
  if (args.has("adapter")) {  // LoRA / IEC-LoRA on the base it was trained on
    const int requantize_n = args.has("requantize-n") ? static_cast<int>(args.integer("requantize-n")) : 0;
    const auto quant = load_adapter(args.str("adapter"), loaded, requantize_n);
    if (requantize_n > 0) config["requantize_n"] = requantize_n;
    if (config["quant"].is_null()) config["quant"] = quant;
    config["adapter"] = std::filesystem::absolute(args.str("adapter")).string();
  }
  RunRecorder rec(args, "eval-mmlu", args.positional[0], config, loaded.model->options().device().str());
  return rec.record([&] {
    ProgressBar bar;
    o.progress = &bar;
    const auto r = evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, MmluCategories::builtin(), o);
    bar.finish();
    std::printf("MMLU %d-shot (%s), %lld questions in %.1f s (%.2f questions/s), token limit %lld\n", o.shots,
                o.shared_header ? "shared header" : "full prompts", (long long)r.overall.total, r.seconds,
                r.overall.total / r.seconds, (long long)r.limit);
    for (const auto& [cat, t] : r.categories)
      std::printf("  %-28s %6.2f%%  (%lld/%lld)\n", cat.c_str(), 100 * t.accuracy(), (long long)t.correct, (long long)t.total);
    std::printf("  %-28s %6.2f%%  (%lld/%lld)\n", "overall (micro)", 100 * r.overall.accuracy(), (long long)r.overall.correct,
                (long long)r.overall.total);
    if (args.has("out")) write_text_atomic(args.str("out"), to_json(r).dump(2) + "\n");
    if (args.has("answers")) write_answers_csv(args.str("answers"), r);
    std::vector<SubjectScore> scores;
    for (const auto& [s, t] : r.subjects) scores.push_back({s, t.correct, t.total});
    rec.subjects(scores);  // recorded, and streamed with --progress jsonl
    std::map<std::string, double> metrics = {{"mmlu_accuracy", r.overall.accuracy()},
                                             {"questions_per_second", r.overall.total / r.seconds}};
    for (const auto& [cat, t] : r.categories) metrics["mmlu_" + cat] = t.accuracy();
    rec.metrics(0, metrics);
    if (args.has("out")) rec.artifact("mmlu-results", args.str("out"));
    if (args.has("answers")) rec.artifact("mmlu-answers", args.str("answers"));
    return 0;
  });
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
  return {spec, &run_mmlu};
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
