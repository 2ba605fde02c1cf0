// irqlora experiment ablation MODEL_DIR --data ALPACA --out DIR: the paper's
// ablation grid {QLoRA, +ICQ, +IEC, IR-QLoRA} x bits x method, each cell
// finetuned and evaluated, every run recorded and tagged with the
// experiment's id; resumable (finished cells are not rerun); the report in
// Markdown, CSV and LaTeX next to the cells (core/jobs/ablation_job.h).
#include <cstdio>

#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "common/error.h"
#include "jobs/ablation_job.h"

namespace irq::cli {

namespace {

int run_experiment(const ParsedArgs& args) {
  AblationRequest r;
  r.model_dir = args.positional.at(0);
  r.data_file = args.str("data");
  r.out_dir = args.str("out");
  r.id = args.str("id");
  r.bits.clear();
  for (const auto& b : args.list("bits")) {
    try {
      r.bits.push_back(std::stoi(b));
    } catch (const std::exception&) {
      throw Error(ErrorKind::kUsage, "--bits: '" + b + "' is not a number");
    }
  }
  r.methods = args.list("methods");
  r.steps = args.integer("steps");
  r.batch = args.integer("batch");
  r.accum = args.integer("accum");
  r.rank = args.integer("rank");
  r.alpha = args.number("alpha");
  r.lr = args.number("lr");
  r.seed = static_cast<uint64_t>(args.integer("seed"));
  r.device = args.str("device");
  r.ppl_text = args.str("ppl-text");
  r.ppl_window = args.integer("ppl-window");
  r.ppl_stride = args.integer("ppl-stride");
  r.mmlu_dir = args.str("mmlu");
  r.tasks_dir = args.str("tasks-data");
  r.tasks_limit = args.integer("tasks-limit");
  r.db_path = record_db_path(args);
  if (const auto problems = validate(r); !problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += "\n  " + p;
    throw Error(ErrorKind::kUsage, "experiment ablation:" + all);
  }
  const auto grid = make_ablation_grid(r.bits, r.methods);
  std::fprintf(stderr, "ablation: %zu cells (%lld steps each)\n", grid.cells.size(), (long long)r.steps);
  for (const auto& s : grid.skipped) std::fprintf(stderr, "  not in the grid: %s\n", s.c_str());
  const auto out = run_ablation(r, [](const AblationCellEvent& e) {
    std::string m;
    for (const auto& [k, v] : e.metrics) m += " " + k + "=" + std::to_string(v);
    std::fprintf(stderr, "[%zu/%zu] %-9s %-5s %s%s\n", e.index + 1, e.total, e.cell.variant.c_str(), e.cell.quant.c_str(),
                 e.resumed ? "finished before:" : "", m.c_str());
  });
  std::printf("%s\n", out.report.markdown.c_str());
  std::printf("experiment %s: %zu cells run, %zu resumed; report in %s (.csv, .tex beside it)\n", out.id.c_str(), out.ran, out.resumed,
              out.report_md.c_str());
  return 0;
}

}  // namespace

Verb experiment_ablation_verb() {
  VerbSpec spec{"experiment ablation", "MODEL_DIR",
                "the paper's ablation: {QLoRA, +ICQ, +IEC, IR-QLoRA} x bits x method, finetuned and evaluated, with a report", {}, 1, 1};
  spec.options = {{"data", "FILE", "Alpaca JSON/JSONL to finetune on", ""},
                  {"out", "DIR", "experiment folder (cells, report.md/.csv/.tex); rerun with it to resume", ""},
                  {"id", "NAME", "experiment id for the run tags (default: the folder's name)", ""},
                  {"bits", "LIST", "bit widths", "4,3,2"},
                  {"methods", "LIST", "nf4 (4 bits only) and/or int (RTN; GPTQ once it lands)", "nf4,int"},
                  {"steps", "N", "optimizer steps per cell", "100"},
                  {"batch", "B", "examples per step", "4"},
                  {"accum", "K", "gradient accumulation", "1"},
                  {"rank", "R", "LoRA rank", "64"},
                  {"alpha", "A", "LoRA alpha", "16"},
                  {"lr", "LR", "learning rate", "0.0002"},
                  {"seed", "S", "seed of every cell", "42"},
                  {"device", "DEV", "cpu, cuda, cuda:N or auto", "auto"},
                  {"ppl-text", "FILE", "evaluate: perplexity of this held-out text", ""},
                  {"ppl-window", "N", "perplexity window", "512"},
                  {"ppl-stride", "N", "perplexity stride", "256"},
                  {"mmlu", "DIR", "evaluate: MMLU 5-shot accuracy", ""},
                  {"tasks-data", "DIR", "evaluate: mean zero-shot accuracy of the seven tasks", ""},
                  {"tasks-limit", "N", "documents per task (0: all)", "0"}};
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run_experiment};
}

}  // namespace irq::cli
