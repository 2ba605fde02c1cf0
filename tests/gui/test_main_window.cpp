// The workbench main window, offscreen, driven by the real engine: opening a
// fixture checkpoint fills the module tree with every layer and projection
// shape and the overview's parameter chart; the demo model opens on request;
// a broken folder reports an error naming it and leaves the window usable;
// the Finetune tab trains the fixture with live curves and records the run;
// the Experiments tab lists runs and compares them.
#include "support/test_support.h"

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLineEdit>
#include <QProcess>
#include <QListWidget>
#include <QSpinBox>
#include <QSignalSpy>
#include <QTableWidget>
#include <QStandardItemModel>
#include <qcustomplot.h>

#include "ablation_panel.h"
#include "experiments_view.h"
#include "jobs/ablation_job.h"
#include "finetune_view.h"
#include "run_on_form.h"
#include "jobs_panel.h"
#include "main_window.h"
#include "model_browser.h"
#include "model_overview.h"
#include "evaluate_view.h"
#include "tasks_form.h"
#include "export_dialog.h"
#include "plot_tools.h"
#include <nlohmann/json.hpp>

#include "gptq_form.h"
#include "heatmap_view.h"
#include "perplexity_form.h"
#include "quantize_view.h"
#include "weights_view.h"
#include "runs/runs_db.h"

namespace fs = std::filesystem;

namespace {

QModelIndex child_named(const QStandardItemModel* m, const QModelIndex& parent, const QString& name) {
  for (int i = 0; i < m->rowCount(parent); ++i)
    if (m->index(i, 0, parent).data().toString() == name) return m->index(i, 0, parent);
  return {};
}

QString cell(const QModelIndex& index, int column) { return index.siblingAtColumn(column).data().toString(); }

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void initTestCase() { irq::test::isolate_user_state(tmp_.path()); }

  void opens_a_checkpoint_into_the_tree() {
    irq::ui::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    const auto* m = w.browser()->item_model();
    const QModelIndex root = m->index(0, 0);
    QCOMPARE(root.data().toString(), QString("model"));
    const QModelIndex decoder = child_named(m, root, "model");
    const QModelIndex layers = child_named(m, decoder, "layers");
    QCOMPARE(m->rowCount(layers), 2);
    const QModelIndex attn = child_named(m, m->index(1, 0, layers), "self_attn");
    const QModelIndex k = child_named(m, attn, "k_proj");
    QVERIFY(k.isValid());
    QCOMPARE(cell(k, irq::ui::ModelBrowser::kKind), QString("Linear"));
    QCOMPARE(cell(k, irq::ui::ModelBrowser::kShape), QString("[32, 64]"));
    QCOMPARE(cell(k, irq::ui::ModelBrowser::kDtype), QString("BF16"));
    QCOMPARE(k.siblingAtColumn(irq::ui::ModelBrowser::kParams).data(Qt::UserRole + 2).toLongLong(), 32LL * 64);
    QCOMPARE(root.siblingAtColumn(irq::ui::ModelBrowser::kParams).data(Qt::UserRole + 2).toLongLong(),
             static_cast<qlonglong>(w.summary()->total_params));
    // Overview chart: one bar per leaf kind with parameters.
    auto* bars = qobject_cast<QCPBars*>(w.overview()->plot()->plottable(0));
    QVERIFY(bars != nullptr);
    const auto groups = irq::ui::params_by_leaf_name(w.summary()->root);
    QCOMPARE(bars->data()->size(), static_cast<int>(groups.size()));
  }

  void opens_the_demo_model() {
    irq::ui::MainWindow w;
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString());
    QVERIFY(loaded.wait(120000));
    QCOMPARE(w.summary()->num_layers, int64_t(4));
    QVERIFY(fs::exists(fs::path(tmp_.path().toStdString()) / "demo" / "model.safetensors"));
  }

  void reports_a_broken_folder() {
    irq::ui::MainWindow w;
    const QString dir = tmp_.path() + "/broken";
    fs::create_directories(dir.toStdString());
    irq::test::write_file(fs::path(dir.toStdString()) / "config.json", "{\"hidden_size\": ");
    QSignalSpy failed(&w, &irq::ui::MainWindow::model_failed);
    w.open_model(dir);
    QVERIFY(failed.wait(60000));
    QVERIFY(failed.at(0).at(0).toString().contains(dir + "/config.json"));
    QVERIFY(w.summary() == nullptr);
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);  // still usable
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_qwen2").string()));
    QVERIFY(loaded.wait(60000));
  }

  void stays_responsive_while_loading() {
    irq::ui::MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    QElapsedTimer t;
    t.start();
    w.open_model(QString());  // the demo model: the heaviest load here
    // Returns at once (generous bound for loaded CI machines): loading runs in a worker thread.
    QVERIFY2(t.elapsed() < 250, "open_model blocked the GUI thread");
    qint64 worst = 0;
    while (loaded.isEmpty() && t.elapsed() < 120000) {
      QElapsedTimer frame;
      frame.start();
      QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
      w.repaint();
      worst = std::max(worst, frame.elapsed());
      QTest::qWait(5);
    }
    QCOMPARE(loaded.count(), 1);
    qInfo("worst event-loop turn while loading: %lld ms", static_cast<long long>(worst));
  }

  // Two real finetunes (IEC-LoRA and plain LoRA on ICQ-NF4) from the form, with
  // live curves; both recorded; the Experiments tab lists and compares them.
  void finetune_tab_trains_live_and_experiments_compare() {
    irq::ui::MainWindow w;
    const QString db = tmp_.path() + "/runs.sqlite";
    w.set_db_path(db);
    w.show();
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* f = w.finetune();
    QVERIFY(!f->start());  // no data file yet: refused with a message
    QVERIFY(f->message().contains("data file"));

    f->data_edit()->setText(QString::fromStdString((irq::test::fixtures() / "alpaca_tiny.json").string()));
    f->out_edit()->setText(tmp_.path() + "/ft");
    f->steps_box()->setValue(6);
    f->rank_box()->setValue(8);
    f->lr_box()->setValue(5e-3);
    f->device_box()->setCurrentIndex(1);  // CPU
    QCOMPARE(f->quant_box()->currentData().toString(), QString("nf4"));
    for (const bool iec : {true, false}) {
      f->iec_box()->setChecked(iec);
      QSignalSpy done(f, &irq::ui::FinetuneView::finished);
      QVERIFY(f->start());
      QVERIFY(f->running());
      QCOMPARE(w.jobs()->running(), 1);
      QVERIFY(done.wait(120000));
      QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
      QCOMPARE(f->plot()->graph(0)->dataCount(), 6);  // one point per step, live
      QCOMPARE(f->plot()->graph(1)->dataCount(), 6);
      QCOMPARE(static_cast<int>(f->points().size()), 6);
      QVERIFY(std::isfinite(f->points().back().loss));
      QCOMPARE(w.jobs()->running(), 0);
      QVERIFY(fs::exists(tmp_.path().toStdString() + "/ft/adapter/adapter_model.safetensors"));
    }
    QVERIFY(irq::ui::plot_csv(f->plot()).count('\n') == 1 + 12);  // header + 2 graphs x 6 points
    const QString svg = tmp_.path() + "/loss.svg";
    if (irq::ui::svg_export_available()) {
      QVERIFY(irq::ui::save_plot_svg(f->plot(), svg));
      QFile file(svg);
      QVERIFY(file.open(QIODevice::ReadOnly));
      QVERIFY(file.readAll().contains("<svg"));
    }
    QVERIFY(f->plot()->savePdf(tmp_.path() + "/loss.pdf"));
    QVERIFY(f->plot()->savePng(tmp_.path() + "/loss.png"));

    auto* e = w.experiments();
    QCOMPARE(e->table()->rowCount(), 2);
    QCOMPARE(e->table()->item(0, 1)->text(), QString("finetune"));
    e->compare({1, 2});
    QCOMPARE(e->loss_plot()->graphCount(), 4);  // per run: raw (faint) and smoothed
    QCOMPARE(e->loss_plot()->graph(0)->dataCount(), 6);
    {
      irq::RunsDb check(db.toStdString());
      double first = 0;
      std::vector<double> losses, tokens;
      for (const auto& m : check.metrics(1)) {
        if (m.name == "loss" && m.step == 1) first = m.value;
        if (m.name == "loss") losses.push_back(m.value);
        if (m.name == "tokens") tokens.push_back(m.value);
      }
      QCOMPARE(e->loss_plot()->graph(0)->data()->at(0)->value, first);
      // The smoothed curve: the debiased EMA of the raw losses with the slider's weight.
      e->smoothing_slider()->setValue(90);
      double ema = 0, decay = 1;
      for (size_t k = 0; k < 3; ++k) ema = 0.9 * ema + 0.1 * losses[k], decay *= 0.9;
      QVERIFY(std::abs(e->loss_plot()->graph(1)->data()->at(2)->value - ema / (1 - decay)) < 1e-12);
      e->smoothing_slider()->setValue(0);  // no smoothing: the raw values
      QCOMPARE(e->loss_plot()->graph(1)->data()->at(4)->value, losses[4]);
      // Every point inside the axes.
      for (int g = 0; g < e->loss_plot()->graphCount(); ++g)
        for (int k = 0; k < e->loss_plot()->graph(g)->dataCount(); ++k)
          QVERIFY(e->loss_plot()->yAxis->range().contains(e->loss_plot()->graph(g)->data()->at(k)->value));
      // x by tokens: the cumulative token count of the steps.
      QCOMPARE(tokens.size(), losses.size());
      e->loss_x_box()->setCurrentIndex(1);
      QCOMPARE(e->loss_plot()->graph(0)->data()->at(1)->key, tokens[0] + tokens[1]);
      // Summary columns: the run's final loss and steps, shown by default; IEC hidden until chosen.
      const int final_col = e->column_of("final_loss"), iec_col = e->column_of("iec");
      QVERIFY(!e->table()->isColumnHidden(final_col));
      QVERIFY(e->table()->isColumnHidden(iec_col));
      int row = 0;
      while (e->table()->item(row, 0)->data(Qt::DisplayRole).toLongLong() != 1) ++row;
      QCOMPARE(e->table()->item(row, final_col)->data(Qt::DisplayRole).toDouble(), QString::number(losses.back(), 'f', 4).toDouble());
      e->set_column_visible("iec", true);
      QVERIFY(!e->table()->isColumnHidden(iec_col));
      QCOMPARE(QSettings().value("experiments/columns").toStringList().contains("iec"), true);
      e->set_column_visible("iec", false);
      // Filter by a column: "kind:finetune" keeps both runs, "finalloss:" with run 1's value keeps run 1 only.
      const QString final1 = e->table()->item(row, final_col)->text();
      e->set_filter("kind:finetune");
      QVERIFY(!e->table()->isRowHidden(0) && !e->table()->isRowHidden(1));
      e->set_filter("kind:finetune finalloss:" + final1);
      QCOMPARE(e->table()->isRowHidden(row), false);
      QCOMPARE(e->table()->isRowHidden(1 - row), true);
      e->set_filter("method:GPTQ");
      QVERIFY(e->table()->isRowHidden(0) && e->table()->isRowHidden(1));
      e->set_filter("");
      if (const char* dir = std::getenv("IRQ_SCREENSHOT_DIR")) {
        e->loss_x_box()->setCurrentIndex(0);
        e->smoothing_slider()->setValue(60);
        w.resize(1280, 800);
        w.tabs()->setCurrentWidget(e);
        QCoreApplication::processEvents();
        w.grab().save(QString(dir) + "/experiments_loss.png");
      }
    }
    QStringList diff;
    for (int r = 0; r < e->diff_table()->rowCount(); ++r) diff << e->diff_table()->item(r, 0)->text();
    QVERIFY2(diff.contains("config/iec"), qPrintable(diff.join(",")));
    QVERIFY(!diff.contains("config/steps"));  // equal settings are not shown
    e->set_filter("no-such-run");
    QVERIFY(e->table()->isRowHidden(0) && e->table()->isRowHidden(1));
    e->set_filter("finetune");
    QVERIFY(!e->table()->isRowHidden(0) && !e->table()->isRowHidden(1));
    e->select_runs({2});
    e->tag_selected("lora-baseline");
    QVERIFY(e->table()->findItems("lora-baseline", Qt::MatchExactly).size() == 1);
    e->delete_selected();
    QCOMPARE(e->table()->rowCount(), 1);
    {  // QA-LoRA on an INT4 g32 base: offered for INT only, and its adapter records the group
      QVERIFY(!f->qa_lora_box()->isEnabled());  // NF4
      f->quant_box()->setCurrentIndex(f->quant_box()->findData("int4"));
      QVERIFY(f->qa_lora_box()->isEnabled());
      f->group_box()->setValue(32);
      f->qa_lora_box()->setChecked(true);
      f->steps_box()->setValue(2);
      f->rank_box()->setValue(1);
      f->out_edit()->setText(tmp_.path() + "/ft-qa");
      QSignalSpy done(f, &irq::ui::FinetuneView::finished);
      QVERIFY(f->start());
      QVERIFY(done.wait(120000));
      QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
      QFile cfg(tmp_.path() + "/ft-qa/adapter/adapter_config.json");
      QVERIFY(cfg.open(QIODevice::ReadOnly));
      QCOMPARE(nlohmann::json::parse(cfg.readAll().toStdString()).at("irqlora").at("qa_lora_group").get<int>(), 32);
      f->quant_box()->setCurrentIndex(f->quant_box()->findData("nf4"));
      QVERIFY(!f->qa_lora_box()->isChecked());
      f->steps_box()->setValue(6);
      f->rank_box()->setValue(8);
    }
  }

  // The Quantize tab's GPTQ group: refused without calibration text, then a
  // real GPTQ + ICQ INT3 pass over the model, recorded with its settings.
  void quantize_tab_runs_gptq() {
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/runs_gptq.sqlite");
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* q = w.quantize();
    q->method_box()->setCurrentIndex(q->method_box()->findData("int3"));
    q->group_box()->setValue(32);
    q->gptq_form()->setChecked(true);
    QVERIFY(!q->start());
    QVERIFY2(q->message().contains("calibration text"), qPrintable(q->message()));
    q->gptq_form()->calib_edit()->setText(QString::fromStdString((irq::test::fixtures() / "tokenizers" / "sample_text.txt").string()));
    q->gptq_form()->nsamples_box()->setValue(4);
    q->gptq_form()->seqlen_box()->setValue(16);
    QSignalSpy quantized(q, &irq::ui::QuantizeView::finished);
    QVERIFY(q->start());
    QVERIFY(quantized.wait(120000));
    QVERIFY2(quantized.at(0).at(0).toBool(), qPrintable(quantized.at(0).at(1).toString()));
    QCOMPARE(q->table()->rowCount(), 14);
    QCOMPARE(w.experiments()->table()->rowCount(), 1);
    irq::RunsDb db((tmp_.path() + "/runs_gptq.sqlite").toStdString());
    const auto runs = db.list();
    QCOMPARE(runs.size(), size_t{1});
    const auto config = nlohmann::json::parse(runs[0].config_json);
    QVERIFY2(config.at("quant").at("gptq").at("nsamples") == 4, runs[0].config_json.c_str());
    QCOMPARE(config.at("quant").at("bits").get<int>(), 3);
  }

  // Quantize tab fills the per-layer table from a real pass; the Weights tab
  // quantizes one layer both ways and fills every plot with the right counts.
  // "Run on: irqlora CLI on this machine": the finetune runs as a separate
  // CLI process followed by its events (the remote-job path, jobs/remote_job.h):
  // live points, a Jobs entry, the run recorded here as remote:localhost.
  void finetune_through_the_cli() {
    irq::ui::MainWindow w;
    const QString db = tmp_.path() + "/cli-runs.sqlite";
    w.set_db_path(db);
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* f = w.finetune();
    f->data_edit()->setText(QString::fromStdString((irq::test::fixtures() / "alpaca_tiny.json").string()));
    f->out_edit()->setText(tmp_.path() + "/ft-cli");
    f->steps_box()->setValue(3);
    f->rank_box()->setValue(8);
    f->device_box()->setCurrentIndex(1);  // CPU
    f->run_on()->set_local_cli(IRQ_CLI);
    f->run_on()->target_box()->setCurrentIndex(1);
    QVERIFY(!f->run_on()->program_edit()->isEnabled());  // only an ssh host names its CLI
    QSignalSpy done(f, &irq::ui::FinetuneView::finished);
    QVERIFY(f->start());
    QCOMPARE(w.jobs()->running(), 1);
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    QCOMPARE(static_cast<int>(f->points().size()), 3);
    QCOMPARE(f->plot()->graph(0)->dataCount(), 3);
    QVERIFY(fs::exists(tmp_.path().toStdString() + "/ft-cli/adapter/adapter_model.safetensors"));
    irq::RunsDb runs(db.toStdString());
    const auto list = runs.list();
    QCOMPARE(static_cast<int>(list.size()), 1);
    QCOMPARE(QString::fromStdString(list.front().device), QString("remote:localhost"));
    QCOMPARE(QString::fromStdString(list.front().status), QString("finished"));
    double last_loss = -1;
    for (const auto& m : runs.metrics(list.front().id))
      if (m.step == 3 && m.name == "loss") last_loss = m.value;
    QCOMPARE(last_loss, f->points().back().loss);
    // An ssh destination enables the field for the CLI's path there.
    f->run_on()->target_box()->setEditText("me@gpu1");
    QVERIFY(f->run_on()->program_edit()->isEnabled());
    const auto r = f->run_on()->remote("finetune", {"x"}, "/m", "");
    QVERIFY(r.has_value());
    QCOMPARE(QString::fromStdString(r->host), QString("gpu1"));
    QCOMPARE(r->launcher, (std::vector<std::string>{"ssh", "-o", "BatchMode=yes", "me@gpu1"}));
  }

  // Quantize through the CLI (here the local one standing in for a host):
  // the streamed layer figures fill the table and the heatmap; a typed ssh
  // destination is offered again next time.
  void quantize_through_the_cli() {
    irq::ui::MainWindow w;
    const QString db = tmp_.path() + "/quant-cli.sqlite";
    w.set_db_path(db);
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* q = w.quantize();
    q->method_box()->setCurrentIndex(q->method_box()->findData("int4"));
    q->run_on()->set_local_cli(IRQ_CLI);
    q->run_on()->target_box()->setCurrentIndex(1);  // the CLI on this machine
    QSignalSpy done(q, &irq::ui::QuantizeView::finished);
    QVERIFY(q->start());
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    QCOMPARE(q->table()->rowCount(), 14);
    QCOMPARE(static_cast<int>(q->outcome().stats.layers.size()), 14);
    QVERIFY(q->outcome().stats.bits_per_weight > 4);
    irq::RunsDb runs(db.toStdString());
    QCOMPARE(QString::fromStdString(runs.get(q->outcome().run_id).device), QString("remote:localhost"));
    QCOMPARE(static_cast<int>(runs.quant_layers(q->outcome().run_id).size()), 14);
    QVERIFY(w.heatmap()->source_box()->currentText().contains("Quantize tab"));
    // an ssh destination used once is in the list of the next form
    q->run_on()->target_box()->setEditText("me@gpu7");
    q->run_on()->remember();
    irq::ui::RunOnForm next;
    const int i = next.target_box()->findText("me@gpu7");
    QVERIFY(i >= 0);
    next.target_box()->setCurrentIndex(i);
    QVERIFY(next.program_edit()->isEnabled());  // a host: its CLI's path may be given
    const auto r = next.remote("quantize", {"x"}, "/m", "");
    QVERIFY(r.has_value());
    QCOMPARE(r->launcher, (std::vector<std::string>{"ssh", "-o", "BatchMode=yes", "me@gpu7"}));
  }

  // Closing the window while a long job runs cancels it and returns at once
  // (the views used to wait for their jobs to finish).
  void closing_with_a_job_running_cancels_it() {
    const QString text = tmp_.path() + "/long.txt";
    {
      const std::string sample = irq::test::read_file(irq::test::fixtures() / "tokenizers" / "sample_text.txt");
      std::string big;
      while (big.size() < (4u << 20)) big += sample;  // a perplexity pass of minutes on the tiny model
      irq::test::write_file(text.toStdString(), big);
    }
    const QString db = tmp_.path() + "/closing.sqlite";
    QElapsedTimer closing;
    {
      irq::ui::MainWindow w;
      w.set_db_path(db);
      QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
      w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
      QVERIFY(loaded.wait(60000));
      auto* e = w.evaluate();
      e->perplexity_form()->text_edit()->setText(text);
      e->perplexity_form()->window_box()->setValue(32);
      e->perplexity_form()->stride_box()->setValue(8);
      QVERIFY(e->start_perplexity());
      QTest::qWait(1500);  // well inside the pass
      QVERIFY(e->running());
      QCOMPARE(w.jobs()->running(), 1);
      closing.start();
    }
    qInfo("the window closed %lld ms after the request", static_cast<long long>(closing.elapsed()));
    QVERIFY(closing.elapsed() < 10000);
    irq::RunsDb runs(db.toStdString());
    QCOMPARE(QString::fromStdString(runs.list().back().status), QString("cancelled"));
  }

  // A plot with no curves yet spans its widget (an empty legend once
  // squeezed the Experiments loss plot to a sliver; seen in a real window).
  void empty_plots_keep_their_width() {
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/empty.sqlite");
    w.resize(1280, 800);
    w.show();
    for (int i = 0; i < w.tabs()->count(); ++i)
      if (w.tabs()->tabText(i).remove('&') == "Experiments") w.tabs()->setCurrentIndex(i);
    QCoreApplication::processEvents();
    auto* plot = w.experiments()->loss_plot();
    plot->replot();
    QCOMPARE(plot->graphCount(), 0);
    QVERIFY2(plot->axisRect()->outerRect().width() > plot->width() / 2,
             qPrintable(QString("axis rect %1 px of %2").arg(plot->axisRect()->outerRect().width()).arg(plot->width())));
  }

  // "all N GPUs" (shown with several) runs N ranks through the CLI; here 2
  // Gloo ranks on the CPU stand in for the GPUs: rank 0's global loss and
  // each rank's tokens/s reach the plot, and the run is one record.
  void finetune_on_all_gpus_runs_ranks() {
    irq::ui::MainWindow w;
    const QString db = tmp_.path() + "/dp-runs.sqlite";
    w.set_db_path(db);
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* f = w.finetune();
    f->set_gpu_count(1);
    QVERIFY(f->all_gpus_box()->isHidden());  // one GPU: nothing to choose
    QCOMPARE(f->request().nproc, 1);
    f->set_gpu_count(2);
    QVERIFY(!f->all_gpus_box()->isHidden());
    QCOMPARE(f->all_gpus_box()->text(), QString("all 2 GPUs (data parallel)"));
    f->all_gpus_box()->setChecked(true);
    QCOMPARE(f->request().nproc, 2);
    const auto args = irq::finetune_cli_args(f->request());
    const auto nproc = std::find(args.begin(), args.end(), "--nproc");
    QVERIFY(nproc != args.end() && nproc + 1 != args.end() && *(nproc + 1) == "2");
    f->data_edit()->setText(QString::fromStdString((irq::test::fixtures() / "alpaca_tiny.json").string()));
    f->out_edit()->setText(tmp_.path() + "/ft-dp");
    f->steps_box()->setValue(2);
    f->rank_box()->setValue(8);  // the default 64 does not divide the tiny model's k/v width
    f->device_box()->setCurrentIndex(1);  // CPU: Gloo ranks
    f->run_on()->set_local_cli(IRQ_CLI);  // "this process" is kept: ranks go through the CLI anyway
    QSignalSpy done(f, &irq::ui::FinetuneView::finished);
    QVERIFY(f->start());
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    QCOMPARE(static_cast<int>(f->points().size()), 2);
    QCOMPARE(static_cast<int>(f->points().back().rank_tokens_per_second.size()), 2);
    irq::RunsDb runs(db.toStdString());
    const auto list = runs.list();
    QCOMPARE(static_cast<int>(list.size()), 1);
    const auto command = nlohmann::json::parse(runs.get(list.front().id).config_json).at("remote").at("command").dump();
    QVERIFY2(command.find("\"--nproc\",\"2\"") != std::string::npos, command.c_str());
    double rank1_tps = 0;
    for (const auto& m : runs.metrics(list.front().id))
      if (m.step == 2 && m.name == "tokens_per_second_rank1") rank1_tps = m.value;
    QCOMPARE(rank1_tps, f->points().back().rank_tokens_per_second[1]);
    QVERIFY(rank1_tps > 0);
  }

  void quantize_weights_and_evaluate_tabs() {
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/runs2.sqlite");
    w.show();
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));

    auto* q = w.quantize();
    q->group_box()->setValue(63);  // NF4 packs two codes per byte: refused with the reason
    QVERIFY(!q->start());
    QVERIFY2(q->message().contains("even"), qPrintable(q->message()));
    q->group_box()->setValue(64);
    QSignalSpy quantized(q, &irq::ui::QuantizeView::finished);
    QVERIFY(q->start());
    QVERIFY(quantized.wait(60000));
    QVERIFY2(quantized.at(0).at(0).toBool(), qPrintable(quantized.at(0).at(1).toString()));
    QCOMPARE(q->table()->rowCount(), 14);  // 2 layers x 7 projections
    QCOMPARE(q->plot()->graph(1)->dataCount(), 14);
    QCOMPARE(w.experiments()->table()->rowCount(), 1);  // recorded

    // Heatmap: the pass just made, layers x projections, each cell the layer's own figure.
    auto* h = w.heatmap();
    QCOMPARE(h->grid().layers, int64_t{2});
    QCOMPARE(h->grid().projections.size(), size_t{7});
    const auto& layers = q->outcome().stats.layers;
    const auto& down1 = layers.back();  // model.layers.1.mlp.down_proj.weight
    QCOMPARE(h->grid().name(1, 6), down1.name);
    QCOMPARE(h->grid().at(1, 6), down1.mean_entropy - down1.mean_entropy_plain);
    QVERIFY(h->cell_text(1, 6).contains("down_proj"));
    h->statistic_box()->setCurrentIndex(h->statistic_box()->findData(static_cast<int>(irq::LayerStatistic::kSqnr)));
    QCOMPARE(h->grid().at(1, 6), down1.sqnr_db);
    // The same run read back from the database: the same numbers.
    const int recorded = h->source_box()->count() - 1;
    QVERIFY(h->source_box()->itemText(recorded).startsWith("run "));
    h->source_box()->setCurrentIndex(recorded);
    QCOMPARE(h->grid().at(1, 6), down1.sqnr_db);
    h->statistic_box()->setCurrentIndex(h->statistic_box()->findData(static_cast<int>(irq::LayerStatistic::kOffsetSpread)));
    QCOMPARE(h->grid().at(0, 0), layers.front().offset_spread);
    QVERIFY(layers.front().offset_spread > 0);
    {  // clicking a cell opens that projection in Weights
      QSignalSpy opened(w.weights(), &irq::ui::WeightsView::inspected);
      h->choose_cell(0, 0);
      QVERIFY(opened.wait(60000));
      QCOMPARE(opened.at(0).at(0).toString(), QString("model.layers.0.self_attn.q_proj.weight"));
    }
    if (const char* dir = std::getenv("IRQ_SCREENSHOT_DIR")) {
      w.resize(1280, 800);
      w.tabs()->setCurrentWidget(h);
      QCoreApplication::processEvents();
      w.grab().save(QString(dir) + "/heatmap.png");
    }

    auto* v = w.weights();
    QCOMPARE(v->layer_box()->count(), 14);
    QSignalSpy inspected(v, &irq::ui::WeightsView::inspected);
    v->inspect("model.layers.0.mlp.up_proj.weight");  // [96, 64]: 96 NF4 blocks of 64
    QVERIFY(inspected.wait(60000));
    const auto* d = v->inspection();
    QVERIFY(d);
    QCOMPARE(d->blocks(), int64_t(96));
    auto bar_sum = [](QCustomPlot* p, int i) {
      double s = 0;
      auto* bars = qobject_cast<QCPBars*>(p->plottable(i));
      for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) s += it->value;
      return s;
    };
    QCOMPARE(v->entropy_plot()->plottableCount(), 2);          // plain and ICQ
    QCOMPARE(bar_sum(v->entropy_plot(), 0), 96.0);              // every block counted once
    QCOMPARE(bar_sum(v->entropy_plot(), 1), 96.0);
    QCOMPARE(bar_sum(v->tau_plot(), 0), 96.0);
    QCOMPARE(bar_sum(v->weight_plot(), 0), 96.0 * 64);          // every weight of the layer
    QCOMPARE(v->block_plot()->graph(0)->dataCount(), 64);       // the block's weights
    QCOMPARE(bar_sum(v->code_plot(), 0), 64.0);                 // its plain codes
    QCOMPARE(bar_sum(v->code_plot(), 1), 64.0);                 // its ICQ codes
    QVERIFY(d->icq.mean_entropy >= d->plain.mean_entropy);
    v->jump_to_largest_gain();
    int64_t best = 0;
    for (int64_t b = 1; b < d->blocks(); ++b)
      if (d->icq.entropy[b] - d->plain.entropy[b] > d->icq.entropy[best] - d->plain.entropy[best]) best = b;
    QCOMPARE(v->block(), best);
    QVERIFY(v->block_text().contains(QString("block %1 of 96").arg(best)));
    v->jump_to_largest_error();
    QCOMPARE(d->icq.mse[v->block()], *std::max_element(d->icq.mse.begin(), d->icq.mse.end()));

    // ICQ's search on the chosen block: all 2n+1 candidates, the chosen one
    // drawn at the curve's first maximum (the quantizer's own choice).
    const int64_t blk = v->block();
    QCOMPARE(v->search_plot()->graph(0)->dataCount(), 2 * d->settings.n + 1);
    const auto curve = d->search_curve(blk);
    float top = curve[0].entropy;
    for (const auto& pt : curve) top = std::max(top, pt.entropy);
    QCOMPARE(v->search_plot()->graph(1)->data()->at(0)->value, static_cast<double>(top));
    QCOMPARE(v->search_plot()->graph(1)->data()->at(0)->key,
             static_cast<double>(curve[static_cast<size_t>(d->icq.candidate[static_cast<size_t>(blk)])].offset));

    // Live settings: a new lambda re-quantizes the layer in the background;
    // two quick changes give one run, with the last value.
    QSignalSpy again(v, &irq::ui::WeightsView::inspected);
    v->lambda_box()->setValue(0.2);
    QVERIFY(again.wait(20000));
    QCOMPARE(v->inspection()->settings.lambda, 0.2);
    again.clear();
    v->n_box()->setValue(40);
    v->n_box()->setValue(30);
    QVERIFY(again.wait(20000));
    QCOMPARE(v->inspection()->settings.n, 30);
    QCOMPARE(v->search_plot()->graph(0)->dataCount(), 61);
    QTest::qWait(500);
    QCOMPARE(again.count(), 1);
    v->method_box()->setCurrentIndex(v->method_box()->findData("int3"));
    v->group_box()->setValue(32);
    QVERIFY(again.wait(20000));
    QCOMPARE(v->inspection()->settings.bits, 3);
    QCOMPARE(v->inspection()->settings.block_size, int64_t{32});
    QCOMPARE(v->inspection()->blocks(), int64_t{96 * 2});  // 96 rows x 2 groups of 32 columns

    // Compare: a second lambda and n on the same blocks; its codes and search
    // curve drawn beside the first setting's, its choice at its curve's first maximum.
    QVERIFY(!v->comparison());
    again.clear();
    v->compare_lambda_box()->setValue(0.3);  // compare is off: no run
    v->compare_box()->setChecked(true);
    QVERIFY(again.wait(20000));
    QVERIFY(v->comparison());
    QCOMPARE(v->comparison()->settings.lambda, 0.3);
    QCOMPARE(v->comparison()->settings.bits, 3);
    QCOMPARE(v->comparison()->blocks(), v->inspection()->blocks());
    QCOMPARE(v->code_plot()->plottableCount(), 3);
    QCOMPARE(v->search_plot()->graphCount(), 5);
    const auto curve_b = v->comparison()->search_curve(v->block());
    float top_b = curve_b[0].entropy;
    for (const auto& pt : curve_b) top_b = std::max(top_b, pt.entropy);
    QCOMPARE(v->search_plot()->graph(4)->data()->at(0)->value, static_cast<double>(top_b));
    QVERIFY(!v->search_plot()->xAxis2->visible());  // INT3 against INT3: one quantity, one axis

    // Another method on the same blocks: NF4 (its own default n) against the
    // shown INT3, group 32. Its 16 levels over the block's weights beside
    // INT3's plain and ICQ levels, its 16 codes, its search over tau on the
    // top axis (INT3's is over p), its entropy and error over the layer.
    again.clear();
    v->compare_method_box()->setCurrentIndex(v->compare_method_box()->findData("nf4"));
    QVERIFY(again.wait(20000));
    const auto* cmp = v->comparison();
    QVERIFY(cmp);
    QCOMPARE(QString::fromStdString(cmp->settings.method), QString("nf4"));
    QCOMPARE(cmp->settings.block_size, int64_t{32});
    QCOMPARE(cmp->settings.n, 100);
    QCOMPARE(cmp->blocks(), v->inspection()->blocks());
    const int64_t cb = v->block();
    const auto nf4_levels = cmp->block_levels(true, cb);
    QCOMPARE(nf4_levels.size(), size_t{16});
    const auto int3_plain = v->inspection()->block_levels(false, cb), int3_icq = v->inspection()->block_levels(true, cb);
    QCOMPARE(v->block_plot()->itemCount(), static_cast<int>(int3_plain.size() + int3_icq.size() + nf4_levels.size()));
    auto* last_line = qobject_cast<QCPItemStraightLine*>(v->block_plot()->item(v->block_plot()->itemCount() - 1));
    QVERIFY(last_line);
    QCOMPARE(last_line->point1->coords().y(), static_cast<double>(nf4_levels.back()));
    QCOMPARE(bar_sum(v->code_plot(), 2), 32.0);  // the block's 32 weights as NF4 codes
    QCOMPARE(qobject_cast<QCPBars*>(v->code_plot()->plottable(2))->dataCount(), 16);
    QVERIFY(v->search_plot()->xAxis2->visible());
    QCOMPARE(v->search_plot()->graph(3)->keyAxis(), v->search_plot()->xAxis2);
    QCOMPARE(v->search_plot()->graph(3)->dataCount(), 201);  // 2n + 1 candidates of tau
    QCOMPARE(v->search_plot()->graph(0)->keyAxis(), v->search_plot()->xAxis);
    QCOMPARE(v->entropy_plot()->plottableCount(), 3);
    QCOMPARE(bar_sum(v->entropy_plot(), 2), static_cast<double>(cmp->blocks()));
    QCOMPARE(bar_sum(v->error_plot(), 2), static_cast<double>(cmp->blocks()));
    QVERIFY2(v->block_text().contains(QString("compared (NF4 ICQ, lambda 0.3, n 100): entropy %1")
                                          .arg(cmp->icq.entropy[static_cast<size_t>(cb)], 0, 'f', 4)),
             qPrintable(v->block_text()));
    if (const char* dir = std::getenv("IRQ_SCREENSHOT_DIR")) {
      w.resize(1280, 800);
      w.tabs()->setCurrentWidget(v);
      QCoreApplication::processEvents();
      w.grab().save(QString(dir) + "/weights_live.png");
    }

    auto* e = w.evaluate();
    QVERIFY(!e->start());  // no data folder
    QVERIFY(e->message().contains("MMLU data folder"));
    e->data_edit()->setText(QString::fromStdString((irq::test::fixtures() / "mmlu_tiny").string()));
    e->device_box()->setCurrentIndex(1);
    QSignalSpy evaluated(e, &irq::ui::EvaluateView::finished);
    QVERIFY(e->start());
    QVERIFY(evaluated.wait(60000));
    QVERIFY2(evaluated.at(0).at(0).toBool(), qPrintable(evaluated.at(0).at(1).toString()));
    QVERIFY(e->outcome().overall.total > 0);
    auto* bars = qobject_cast<QCPBars*>(e->plot()->plottable(0));
    QCOMPARE(bars->dataCount(), static_cast<int>(e->outcome().categories.size()) + 1);  // + overall
    QCOMPARE(w.experiments()->table()->rowCount(), 2);

    // The same through the CLI (a host stood in for by the local CLI): the
    // streamed subjects give the same tallies; tasks and perplexity stay here.
    const auto here = e->outcome();
    e->run_on()->set_local_cli(IRQ_CLI);
    e->run_on()->target_box()->setCurrentIndex(1);
    QSignalSpy remote(e, &irq::ui::EvaluateView::finished);
    QVERIFY(e->start());
    QVERIFY(remote.wait(120000));
    QVERIFY2(remote.at(0).at(0).toBool(), qPrintable(remote.at(0).at(1).toString()));
    QCOMPARE(e->outcome().overall.correct, here.overall.correct);
    QCOMPARE(e->outcome().overall.total, here.overall.total);
    QCOMPARE(e->outcome().categories.size(), here.categories.size());
    for (const auto& [cat, t] : here.categories) {
      QCOMPARE(e->outcome().categories.at(cat).correct, t.correct);
      QCOMPARE(e->outcome().categories.at(cat).total, t.total);
    }
    irq::RunsDb runs4((tmp_.path() + "/runs2.sqlite").toStdString());
    QCOMPARE(QString::fromStdString(runs4.get(e->outcome().run_id).device), QString("remote:localhost"));
    QCOMPARE(runs4.mmlu(e->outcome().run_id).size(), here.subjects.size());
  }

  // File > Export writes a GGUF of the open model, refuses to overwrite it
  // without the checkbox, and records the export.
  void export_dialog_writes_and_records() {
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/runs3.sqlite");
    w.show();
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* d = w.open_export_dialog();
    QVERIFY(!d->start());  // no output path yet
    d->format_box()->setCurrentIndex(d->format_box()->findData("gguf"));
    d->gguf_box()->setCurrentIndex(d->gguf_box()->findData("q4_1"));
    d->quant_box()->setCurrentIndex(d->quant_box()->findData("int4"));
    const QString out = tmp_.path() + "/dialog.gguf";
    d->out_edit()->setText(out);
    // INT4 with group 64 cannot become Q4_1: the engine's reason is shown.
    QSignalSpy done(d, &irq::ui::ExportDialog::finished);
    QVERIFY(d->start());
    QVERIFY(done.wait(60000));
    QVERIFY(!done.at(0).at(0).toBool());
    QVERIFY2(d->message().contains("group 32"), qPrintable(d->message()));
    d->findChild<QSpinBox*>()->setValue(32);
    QVERIFY(d->start());
    QVERIFY(done.wait(60000));
    QVERIFY2(done.at(1).at(0).toBool(), qPrintable(d->message()));
    QVERIFY(QFileInfo(out).size() > 1000);
    QVERIFY(d->start());  // again, without overwrite: refused, file kept
    QVERIFY(done.wait(60000));
    QVERIFY(!done.at(2).at(0).toBool());
    QVERIFY(d->message().contains("--force"));
    QVERIFY(w.experiments()->table()->findItems("export", Qt::MatchExactly).size() == 3);
    // The same export through the CLI (standing in for a host): written there, recorded here as HOST:PATH.
    const QString there = tmp_.path() + "/dialog-cli.gguf";
    d->out_edit()->setText(there);
    d->run_on()->set_local_cli(IRQ_CLI);
    d->run_on()->target_box()->setCurrentIndex(1);
    QVERIFY(d->start());
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(3).at(0).toBool(), qPrintable(d->message()));
    QVERIFY2(d->message().contains("localhost:" + there), qPrintable(d->message()));
    QCOMPARE(QFileInfo(there).size(), QFileInfo(out).size());  // the same model, type and quantization
    irq::RunsDb runs((tmp_.path() + "/runs3.sqlite").toStdString());
    const auto rec = runs.list().back();
    QCOMPARE(QString::fromStdString(rec.device), QString("remote:localhost"));
    const auto artifacts = runs.artifacts(rec.id);
    QVERIFY(std::any_of(artifacts.begin(), artifacts.end(),
                        [&](const auto& a) { return a.first == "export-gguf" && a.second == "localhost:" + there.toStdString(); }));
  }

  // Evaluate > zero-shot tasks: the checklist and document limit become the
  // request; the job's scores become one acc bar per task and one acc_norm
  // bar per task that has it; the run is recorded.
  void evaluate_tab_runs_zero_shot_tasks() {
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/runs4.sqlite");
    w.show();
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* e = w.evaluate();
    auto* form = e->tasks_form();
    for (int i = 0; i < form->task_list()->count(); ++i) form->task_list()->item(i)->setCheckState(Qt::Unchecked);
    form->data_edit()->setText(QString::fromStdString((irq::test::fixtures() / "tasks").string()));
    QVERIFY(!e->start_tasks());
    QVERIFY2(e->message().contains("check at least one task"), qPrintable(e->message()));
    for (int i : {1, 2, 6}) form->task_list()->item(i)->setCheckState(Qt::Checked);  // piqa, winogrande, openbookqa
    form->limit_box()->setValue(4);
    e->device_box()->setCurrentIndex(1);
    QSignalSpy evaluated(e, &irq::ui::EvaluateView::finished);
    QVERIFY(e->start_tasks());
    QVERIFY(evaluated.wait(60000));
    QVERIFY2(evaluated.at(0).at(0).toBool(), qPrintable(evaluated.at(0).at(1).toString()));
    const auto& r = e->tasks_outcome().result;
    QCOMPARE(r.order, (std::vector<std::string>{"piqa", "winogrande", "openbookqa"}));
    QCOMPARE(r.documents, int64_t(12));
    auto* acc = qobject_cast<QCPBars*>(e->plot()->plottable(0));
    auto* norm = qobject_cast<QCPBars*>(e->plot()->plottable(1));
    QCOMPARE(acc->dataCount(), 3);
    QCOMPARE(norm->dataCount(), 2);  // winogrande has acc only
    QCOMPARE(acc->data()->at(1)->value, 100 * r.scores.at("winogrande").acc);
    QCOMPARE(norm->data()->at(1)->value, 100 * r.scores.at("openbookqa").acc_norm);
    irq::RunsDb db((tmp_.path() + "/runs4.sqlite").toStdString());
    QCOMPARE(db.get(e->tasks_outcome().run_id).kind, std::string("eval-tasks"));

    // Perplexity in the same tab: refused without a text, then one point per
    // window whose token-weighted mean is the text's perplexity.
    auto* ppl = e->perplexity_form();
    QVERIFY(!e->start_perplexity());
    QVERIFY2(e->message().contains("text: choose"), qPrintable(e->message()));
    ppl->text_edit()->setText(QString::fromStdString((irq::test::fixtures() / "tokenizers" / "sample_text.txt").string()));
    ppl->window_box()->setValue(32);
    ppl->stride_box()->setValue(16);
    QSignalSpy ppl_done(e, &irq::ui::EvaluateView::finished);
    QVERIFY(e->start_perplexity());
    QVERIFY(ppl_done.wait(60000));
    QVERIFY2(ppl_done.at(0).at(0).toBool(), qPrintable(ppl_done.at(0).at(1).toString()));
    const auto& p = e->perplexity_outcome();
    QVERIFY(p.windows > 3);
    QCOMPARE(e->plot()->graph(0)->dataCount(), static_cast<int>(p.windows));
    double nll = 0;
    int64_t tokens = 0;
    for (size_t i = 0; i < p.window_nll.size(); ++i) nll += p.window_nll[i], tokens += p.window_tokens[i];
    QCOMPARE(tokens, p.tokens);
    QVERIFY(std::abs(std::exp(nll / static_cast<double>(tokens)) - p.perplexity) <= 1e-9 * p.perplexity);
    QCOMPARE(e->plot()->graph(1)->data()->at(0)->value, p.perplexity);
    for (int i = 0; i < e->plot()->graph(0)->dataCount(); ++i)  // auto-range keeps every point
      QVERIFY(e->plot()->yAxis->range().contains(e->plot()->graph(0)->data()->at(i)->value));
    QCOMPARE(db.get(p.run_id).kind, std::string("eval-ppl"));
    {  // the same two through the CLI (standing in for a host): streamed tasks and windows, the same figures
      const auto tasks_here = e->tasks_outcome().result;
      const auto ppl_here = e->perplexity_outcome();
      e->run_on()->set_local_cli(IRQ_CLI);
      e->run_on()->target_box()->setCurrentIndex(1);
      QSignalSpy again(e, &irq::ui::EvaluateView::finished);
      QVERIFY(e->start_perplexity());
      QVERIFY(again.wait(120000));
      QVERIFY2(again.at(0).at(0).toBool(), qPrintable(again.at(0).at(1).toString()));
      QCOMPARE(e->perplexity_outcome().windows, ppl_here.windows);
      QCOMPARE(e->perplexity_outcome().tokens, ppl_here.tokens);
      QVERIFY(std::abs(e->perplexity_outcome().perplexity - ppl_here.perplexity) <= 1e-12 * ppl_here.perplexity);
      QCOMPARE(db.get(e->perplexity_outcome().run_id).device, std::string("remote:localhost"));
      QVERIFY(e->start_tasks());
      QVERIFY(again.wait(120000));
      QVERIFY2(again.at(1).at(0).toBool(), qPrintable(again.at(1).at(1).toString()));
      QCOMPARE(e->tasks_outcome().result.order, tasks_here.order);
      QCOMPARE(e->tasks_outcome().result.documents, tasks_here.documents);
      for (const auto& t : tasks_here.order) {
        QCOMPARE(e->tasks_outcome().result.scores.at(t).acc, tasks_here.scores.at(t).acc);
        QCOMPARE(e->tasks_outcome().result.scores.at(t).has_acc_norm, tasks_here.scores.at(t).has_acc_norm);
      }
      e->run_on()->target_box()->setCurrentIndex(0);
    }
    if (const char* dir = std::getenv("IRQ_SCREENSHOT_DIR")) {  // for looking at the view: IRQ_SCREENSHOT_DIR=/tmp ...
      w.resize(1280, 800);
      w.tabs()->setCurrentWidget(e);
      QCoreApplication::processEvents();
      w.grab().save(QString(dir) + "/evaluate_perplexity.png");
    }
  }

  // Experiments > Ablation experiments: an experiment's tagged runs become
  // the paper-style table (the job's own numbers, best of each column in
  // bold) and one loss curve per cell.
  void experiments_tab_shows_an_ablation() {
    const std::string dbp = (tmp_.path() + "/runs5.sqlite").toStdString();
    irq::test::write_file(fs::path(tmp_.path().toStdString()) / "held.txt", "Once upon a time a small fox found a red ball.\n");
    irq::AblationRequest r;
    r.model_dir = irq::test::fixtures() / "tiny_llama";
    r.data_file = irq::test::fixtures() / "alpaca_tiny.json";
    r.out_dir = fs::path(tmp_.path().toStdString()) / "abl";
    r.db_path = dbp;
    r.bits = {4, 2};
    r.methods = {"int"};
    r.steps = 2;
    r.rank = 2;
    r.batch = 2;
    r.device = "cpu";
    r.ppl_text = fs::path(tmp_.path().toStdString()) / "held.txt";
    r.ppl_window = 8;
    r.ppl_stride = 4;
    const auto out = irq::run_ablation(r);
    irq::ui::ExperimentsView v;
    v.set_db_path(QString::fromStdString(dbp));
    auto* a = v.ablation();
    QCOMPARE(a->experiment_box()->currentText(), QString("abl"));
    auto* t = a->table();
    QCOMPARE(t->rowCount(), 4);
    QCOMPARE(t->columnCount(), 2);
    QCOMPARE(t->horizontalHeaderItem(1)->text(), QString("INT2 PPL"));
    QCOMPARE(t->verticalHeaderItem(3)->text(), QString("IR-QLoRA"));
    const auto tab = irq::ablation_table(out.grid, {{"ppl", true}}, out.results);
    int bold = 0;
    for (int row = 0; row < 4; ++row)
      for (int col = 0; col < 2; ++col) {
        QCOMPARE(t->item(row, col)->text().toStdString(), tab.text(static_cast<size_t>(row), static_cast<size_t>(col)));
        bold += t->item(row, col)->font().bold();
        QCOMPARE(t->item(row, col)->font().bold(), tab.columns[static_cast<size_t>(col)].best == row);
      }
    QCOMPARE(bold, 2);
    QCOMPARE(a->loss_plot()->graphCount(), 8);
    QCOMPARE(a->loss_plot()->graph(0)->dataCount(), 2);
    // The pivot's exports: the job's own report, written atomically by extension.
    const auto rep = irq::ablation_report(out.grid, {{"ppl", true}}, out.results, "Ablation abl");
    QCOMPARE(a->report("markdown").toStdString(), rep.markdown);
    QCOMPARE(a->report("latex").toStdString(), rep.latex);
    const QString csv = tmp_.path() + "/abl.csv";
    a->export_report(csv);
    QCOMPARE(irq::test::read_file(csv.toStdString()), rep.csv);
  }
};

IRQ_TEST_CASE(TestMainWindow, "test_main_window")
#include "test_main_window.moc"
