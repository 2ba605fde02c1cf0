// The ablation grid, cell by cell (see ablation_job.h).
#include "jobs/ablation_job.h"

#include <memory>
#include <numeric>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "jobs/job_problems.h"
#include "io/json_file.h"
#include "jobs/eval_model.h"
#include "jobs/finetune_job.h"
#include "jobs/mmlu_job.h"
#include "jobs/perplexity_job.h"
#include "jobs/tasks_job.h"
#include "model/llama_config.h"
#include "runs/runs_db.h"

namespace fs = std::filesystem;

namespace irq {

namespace {

std::vector<AblationMetric> metrics_of(const AblationRequest& r) {
  std::vector<AblationMetric> m;
  if (!r.ppl_text.empty()) m.push_back({"ppl", true});
  if (!r.mmlu_dir.empty()) m.push_back({"mmlu", false});
  if (!r.tasks_dir.empty()) m.push_back({"tasks", false});
  return m;
}

// A finished cell's metrics, or false when it has not finished.
bool read_cell(const fs::path& file, std::map<std::string, double>& metrics) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  const auto j = read_json_file(file);
  if (!j.is_object() || !j.contains("metrics") || !j.at("metrics").is_object())
    throw make_error(ErrorKind::kInvalidInput, file.string(), "has no \"metrics\" object (delete it to rerun the cell)");
  for (const auto& [k, v] : j.at("metrics").items()) {
    if (!v.is_number()) throw make_error(ErrorKind::kInvalidInput, file.string(), "metric '" + k + "' is not a number");
    metrics[k] = v.get<double>();
  }
  return true;
}

}  // namespace

std::vector<std::string> validate(const AblationRequest& r) {
  std::vector<std::string> out;
  if (r.model_dir.empty()) out.push_back("model: give the model folder");
  if (r.data_file.empty()) out.push_back("data: give the Alpaca JSON/JSONL file");
  if (r.out_dir.empty()) out.push_back("out: give the experiment folder");
  if (metrics_of(r).empty()) out.push_back("evaluation: give --ppl-text, --mmlu and/or --tasks-data");
  if (r.steps < 1 || r.batch < 1 || r.accum < 1 || r.rank < 1) out.push_back("steps, batch, accum, rank: must be at least 1");
  try {
    make_ablation_grid(r.bits, r.methods);
  } catch (const Error& e) {
    out.push_back(std::string("grid: ") + e.what());
  }
  // The +IEC cells need the rank to divide every projection's widths
  // (lora/iec_lora.h): checked here, before any cell runs.
  std::error_code ec;
  if (r.rank >= 1 && !r.model_dir.empty() && fs::exists(r.model_dir / "config.json", ec)) {
    try {
      const auto c = LlamaConfig::from_file(r.model_dir / "config.json");
      const int64_t widths[] = {c.hidden_size, c.q_dim(), c.num_key_value_heads * c.head_dim, c.intermediate_size};
      int64_t g = 0;
      bool divides = true;
      for (int64_t w : widths) {
        g = std::gcd(g, w);
        divides = divides && w % r.rank == 0;
      }
      if (!divides)
        out.push_back("rank: IEC needs the rank to divide every projection width (" + std::to_string(c.hidden_size) + ", " +
                      std::to_string(c.q_dim()) + ", " + std::to_string(c.num_key_value_heads * c.head_dim) + ", " +
                      std::to_string(c.intermediate_size) + " here); " + std::to_string(r.rank) +
                      " does not, the largest rank that does is " + std::to_string(g));
    } catch (const Error& e) {
      out.push_back(std::string("model: ") + e.what());
    }
  }
  return out;
}

AblationOutcome run_ablation(const AblationRequest& r, const std::function<void(const AblationCellEvent&)>& on_cell,
                             const CancelToken* cancel) {
  throw_if_problems("experiment ablation", validate(r));
  AblationOutcome out;
  out.grid = make_ablation_grid(r.bits, r.methods);
  out.id = r.id.empty() ? fs::absolute(r.out_dir).filename().string() : r.id;
  fs::create_directories(r.out_dir);
  const auto metrics = metrics_of(r);
  // The experiment's own record: what it runs (a rerun must ask for the same).
  const nlohmann::json plan = {{"id", out.id}, {"model", fs::absolute(r.model_dir).string()}, {"data", fs::absolute(r.data_file).string()},
                               {"bits", r.bits}, {"methods", r.methods}, {"steps", r.steps}, {"batch", r.batch}, {"accum", r.accum},
                               {"rank", r.rank}, {"alpha", r.alpha}, {"lr", r.lr}, {"seed", r.seed},
                               {"ppl_text", r.ppl_text.string()}, {"ppl_window", r.ppl_window}, {"ppl_stride", r.ppl_stride},
                               {"mmlu", r.mmlu_dir.string()}, {"tasks", r.tasks_dir.string()}, {"tasks_limit", r.tasks_limit}};
  const fs::path plan_file = r.out_dir / "experiment.json";
  std::error_code ec;
  if (fs::exists(plan_file, ec)) {
    const auto before = read_json_file(plan_file);
    if (before != plan)
      throw make_error(ErrorKind::kUsage, plan_file.string(),
                       "was written for other settings; use another --out folder, or the same settings to resume");
  } else {
    write_text_atomic(plan_file, plan.dump(2) + "\n");
  }
  auto write_report = [&] {
    out.report = ablation_report(out.grid, metrics, out.results, "Ablation " + out.id + " (" + fs::absolute(r.model_dir).filename().string() + ")");
    write_text_atomic(r.out_dir / "report.md", out.report.markdown);
    write_text_atomic(r.out_dir / "report.csv", out.report.csv);
    write_text_atomic(r.out_dir / "report.tex", out.report.latex);
    out.report_md = r.out_dir / "report.md";
  };
  // The experiment's tags, through one handle on the runs database.
  std::unique_ptr<RunsDb> db = r.db_path.empty() ? nullptr : std::make_unique<RunsDb>(r.db_path);
  auto tag = [&](int64_t run, const AblationCell& c) {
    if (!db || run < 0) return;
    db->add_tag(run, "experiment:" + out.id);
    db->add_tag(run, "cell:" + c.key());
  };
  for (size_t i = 0; i < out.grid.cells.size(); ++i) {
    const auto& cell = out.grid.cells[i];
    const fs::path dir = r.out_dir / cell.key();
    AblationCellEvent ev{cell, i, out.grid.cells.size(), false, {}};
    if (read_cell(dir / "cell.json", ev.metrics)) {
      ev.resumed = true;
      out.results[cell.key()] = ev.metrics;
      ++out.resumed;
      if (on_cell) on_cell(ev);
      continue;
    }
    if (cancel) cancel->throw_if_cancelled("ablation");
    FinetuneRequest f;
    f.model_dir = r.model_dir;
    f.data_file = r.data_file;
    f.out_dir = dir;
    f.db_path = r.db_path;
    f.quant = cell.quant;
    f.icq = cell.icq;
    f.lora.iec = cell.iec;
    f.lora.rank = r.rank;
    f.lora.alpha = r.alpha;
    f.train.lr = r.lr;
    f.train.steps = r.steps;
    f.train.batch = r.batch;
    f.train.accum = r.accum;
    f.train.seed = r.seed;
    f.device = r.device;
    f.front_end = "experiment";
    const auto ft = run_finetune(f, {}, cancel);
    tag(ft.run_id, cell);
    nlohmann::json runs = {{"finetune", ft.run_id}};
    EvalModelSpec spec;
    spec.model_dir = r.model_dir;
    spec.adapter_dir = ft.adapter;  // its own quantized base is rebuilt from the adapter's settings
    spec.device = r.device;
    // One load (the quantized base rebuilt, ICQ search included) for all of the cell's evaluations.
    EvalModel model = load_eval_model(spec, cancel);
    if (!r.ppl_text.empty()) {
      PerplexityRequest p;
      p.model = spec;
      p.text_file = r.ppl_text;
      p.window = r.ppl_window;
      p.stride = r.ppl_stride;
      p.db_path = r.db_path;
      p.front_end = "experiment";
      const auto res = run_perplexity(p, nullptr, cancel, &model);
      tag(res.run_id, cell);
      ev.metrics["ppl"] = res.perplexity;
      runs["ppl"] = res.run_id;
    }
    if (!r.mmlu_dir.empty()) {
      MmluRequest m;
      m.model = spec;
      m.data_dir = r.mmlu_dir;
      m.db_path = r.db_path;
      m.front_end = "experiment";
      const auto res = run_mmlu(m, nullptr, cancel, &model);
      tag(res.run_id, cell);
      ev.metrics["mmlu"] = res.overall.accuracy();
      runs["mmlu"] = res.run_id;
    }
    if (!r.tasks_dir.empty()) {
      TasksRequest t;
      t.model = spec;
      t.data_dir = r.tasks_dir;
      t.limit = r.tasks_limit;
      t.db_path = r.db_path;
      t.front_end = "experiment";
      const auto res = run_tasks(t, nullptr, cancel, &model);
      tag(res.run_id, cell);
      double sum = 0;
      for (const auto& [task, s] : res.result.scores) sum += s.acc;
      ev.metrics["tasks"] = sum / static_cast<double>(res.result.scores.size());
      runs["tasks"] = res.run_id;
    }
    nlohmann::json done = {{"cell", cell.key()}, {"variant", cell.variant}, {"quant", cell.quant}, {"icq", cell.icq},
                           {"iec", cell.iec}, {"metrics", ev.metrics}, {"runs", runs}, {"adapter", ft.adapter.string()}};
    write_text_atomic(dir / "cell.json", done.dump(2) + "\n");
    out.results[cell.key()] = ev.metrics;
    ++out.ran;
    write_report();
    if (on_cell) on_cell(ev);
  }
  write_report();
  return out;
}

}  // namespace irq
