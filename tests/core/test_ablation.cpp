// The ablation experiment: the grid (cells, what is left out and why), the
// report's layout and best-per-column marks, and the job on the tiny LLaMA:
// every run tagged, a cancelled grid resumed without rerunning its finished
// cells, a rerun with other settings refused.
#include "support/test_support.h"

#include "experiments/ablation_runs.h"
#include "jobs/ablation_job.h"
#include "runs/runs_db.h"

namespace fs = std::filesystem;
using irq::ErrorKind;

class TestAblation : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() const { return fs::path(tmp_.path().toStdString()); }

 private Q_SLOTS:
  void grid_has_the_papers_rows() {
    const auto g = irq::make_ablation_grid({4, 3, 2}, {"nf4", "int"});
    QCOMPARE(g.cells.size(), size_t(4 * 4));  // nf4 at 4 bits, int at 4, 3, 2
    QCOMPARE(g.skipped.size(), size_t(2));    // nf4 at 3 and 2 bits
    QVERIFY(g.skipped[0].find("nf4 at 3 bits") != std::string::npos);
    QCOMPARE(g.cells[0].key(), std::string("nf4-plain-lora"));
    QCOMPARE(g.cells[3].key(), std::string("nf4-icq-iec"));
    QCOMPARE(g.cells[3].variant, std::string("IR-QLoRA"));
    QCOMPARE(g.cells[13].key(), std::string("int2-icq-lora"));
    QCOMPARE(g.cells[14].variant, std::string("+IEC"));
    QVERIFY(irq::test::throws_error([] { irq::make_ablation_grid({4}, {"gptq"}); }, ErrorKind::kUsage, {"unknown method 'gptq'"}));
    QVERIFY(irq::test::throws_error([] { irq::make_ablation_grid({9}, {"int"}); }, ErrorKind::kUsage, {"9 is not between 2 and 8"}));
  }

  void report_marks_the_best_of_each_column() {
    const auto g = irq::make_ablation_grid({4, 2}, {"int"});
    irq::AblationResults res;
    res["int4-plain-lora"] = {{"ppl", 12.5}, {"mmlu", 0.40}};
    res["int4-icq-lora"] = {{"ppl", 11.0}, {"mmlu", 0.38}};
    res["int4-plain-iec"] = {{"ppl", 12.0}, {"mmlu", 0.45}};
    res["int4-icq-iec"] = {{"ppl", 11.5}, {"mmlu", 0.41}};
    res["int2-plain-lora"] = {{"ppl", 40.0}, {"mmlu", 0.25}};
    const auto r = irq::ablation_report(g, {{"ppl", true}, {"mmlu", false}}, res, "t");
    QVERIFY(r.markdown.find("| Method | INT4 PPL | INT4 MMLU % | INT2 PPL | INT2 MMLU % |") != std::string::npos);
    QVERIFY(r.markdown.find("| QLoRA | 12.50 | 40.00 | **40.00** | **25.00** |") != std::string::npos);
    QVERIFY(r.markdown.find("| +ICQ | **11.00** | 38.00 | – | – |") != std::string::npos);
    QVERIFY(r.markdown.find("| +IEC | 12.00 | **45.00** | – | – |") != std::string::npos);
    QVERIFY(r.csv.find("+ICQ,11.00*,38.00,,\n") != std::string::npos);
    QVERIFY(r.latex.find("+IEC & 12.00 & \\textbf{45.00} & -- & --") != std::string::npos);
    QVERIFY(r.latex.find("INT4 MMLU \\%") != std::string::npos);
  }

  void job_tags_resumes_and_refuses_other_settings() {
    irq::test::write_file(tmp() / "held.txt", "Once upon a time, a little fox found a red ball in the park. She played with it all day.\n");
    irq::AblationRequest r;
    r.model_dir = irq::test::fixtures() / "tiny_llama";
    r.data_file = irq::test::fixtures() / "alpaca_tiny.json";
    r.out_dir = tmp() / "grid";
    r.db_path = tmp() / "runs.sqlite";
    r.bits = {4};
    r.methods = {"int"};
    r.steps = 1;
    r.rank = 2;
    r.batch = 2;
    r.device = "cpu";
    r.ppl_text = tmp() / "held.txt";
    r.ppl_window = 16;
    r.ppl_stride = 8;
    {  // a rank IEC cannot use is refused before any cell runs (tiny LLaMA widths 64, 64, 32, 96)
      auto bad = r;
      bad.rank = 64;
      QVERIFY(irq::test::throws_error([&] { irq::run_ablation(bad); }, ErrorKind::kUsage, {"rank: IEC needs", "largest rank that does is 32"}));
      QVERIFY(!fs::exists(r.out_dir));
    }
    irq::CancelToken cancel;
    int events = 0;
    QVERIFY(irq::test::throws_error(
        [&] {
          irq::run_ablation(r, [&](const irq::AblationCellEvent&) {
            if (++events == 2) cancel.cancel();  // killed after two cells
          }, &cancel);
        },
        ErrorKind::kCancelled, {}));
    QVERIFY(fs::exists(r.out_dir / "int4-plain-lora" / "cell.json"));
    QVERIFY(fs::exists(r.out_dir / "int4-icq-lora" / "cell.json"));
    QVERIFY(!fs::exists(r.out_dir / "int4-plain-iec" / "cell.json"));
    const auto out = irq::run_ablation(r);
    QCOMPARE(out.resumed, size_t(2));
    QCOMPARE(out.ran, size_t(2));
    QCOMPARE(out.results.size(), size_t(4));
    irq::RunsDb db(r.db_path);
    int finetunes = 0, tagged = 0;
    for (const auto& run : db.list()) {
      finetunes += run.kind == "finetune";
      for (const auto& t : run.tags) tagged += t == "experiment:grid";
    }
    QCOMPARE(finetunes, 4);  // the two finished cells were not rerun
    QCOMPARE(tagged, 8);     // 4 finetunes + 4 perplexity runs
    // Read back from the tagged runs alone, the experiment is the job's.
    QCOMPARE(irq::experiment_ids(db), std::vector<std::string>{"grid"});
    const auto back = irq::ablation_from_runs(db, "grid");
    QCOMPARE(back.results, out.results);
    QCOMPARE(back.grid.cells.size(), size_t(4));
    QCOMPARE(back.finetune_run.size(), size_t(4));
    QCOMPARE(back.metrics.size(), size_t(1));
    // Each cell's perplexity is the one its own eval run recorded.
    for (const auto& [key, m] : out.results) QVERIFY2(m.at("ppl") > 1 && std::isfinite(m.at("ppl")), key.c_str());
    const std::string md = irq::test::read_file(r.out_dir / "report.md");
    QVERIFY(md.find("| INT4 PPL |") != std::string::npos);
    QVERIFY(md.find("**") != std::string::npos);
    r.steps = 2;  // other settings in the same folder
    QVERIFY(irq::test::throws_error([&] { irq::run_ablation(r); }, ErrorKind::kUsage, {"experiment.json", "other settings"}));
  }
};

IRQ_TEST_CASE(TestAblation, "test_ablation")
#include "test_ablation.moc"
