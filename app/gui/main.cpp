// irqlora-workbench: the Qt GUI. Opens MODEL_DIR, else the most recent model,
// else the built-in demo model.
//   irqlora-workbench [MODEL_DIR] [--model DIR] [--screenshot FILE.png [--view NAME]]
//                     [--finetune DATA --steps N --rank R --lr LR] [--db PATH] [--threads N]
// --screenshot renders the window (after the model has loaded, and after the
// --finetune run when given) to a PNG and exits; --view experiments compares
// every run in the database first.
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QEventLoop>
#include <QComboBox>
#include <QLineEdit>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QTableWidget>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

#include "evaluate_view.h"
#include "experiments_view.h"
#include "finetune_view.h"
#include "main_window.h"
#include "playground_view.h"
#include "quantize_view.h"
#include "weights_view.h"
#include "widget_probe.h"
#include "plugin/plugin_loader.h"
#include "runtime/threads.h"

int main(int argc, char** argv) {
  // First, before Qt starts threads: "--threads N" and the engine's OpenMP
  // environment (passive idle threads); may re-execute the program once.
  irq::configure_process_threads(argc, argv);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("irqlora");
  QApplication::setApplicationName("irqlora-workbench");
  QApplication::setApplicationVersion(IRQ_VERSION);

  QCommandLineParser cli;
  cli.setApplicationDescription("IR-QLoRA workbench: quantize, finetune and evaluate LLaMA models.");
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("model", "Hugging Face model folder to open (default: the most recent, else the demo model).");
  QCommandLineOption model_opt("model", "Model folder to open.", "DIR");
  QCommandLineOption shot_opt("screenshot", "Render the window to a PNG once the model is loaded, then exit.", "FILE");
  QCommandLineOption view_opt("view", "Tab to show for --screenshot (model, weights, quantize, heatmap, finetune, evaluate, experiments, playground).", "NAME", "model");
  QCommandLineOption demo_opt("demo", "Open the built-in demo model.");
  QCommandLineOption finetune_opt("finetune", "Start a finetune of the opened model on this Alpaca file (Finetune tab).", "DATA");
  QCommandLineOption steps_opt("steps", "Steps of --finetune.", "N", "30");
  QCommandLineOption rank_opt("rank", "LoRA rank of --finetune.", "R", "8");
  QCommandLineOption lr_opt("lr", "Learning rate of --finetune.", "LR", "0.0002");
  QCommandLineOption mmlu_opt("mmlu", "With --view evaluate: run MMLU from this data folder before the screenshot.", "DIR");
  QCommandLineOption subjects_opt("subjects", "Subjects for --mmlu (comma-separated).", "LIST");
  QCommandLineOption layer_opt("layer", "With --view weights: the layer to inspect (default: the first).", "NAME");
  QCommandLineOption db_opt("db", "Runs database (default $IRQ_RUNS_DB or ~/.local/share/irqlora/runs.sqlite).", "PATH");
  cli.addOptions({model_opt, shot_opt, view_opt, demo_opt, finetune_opt, steps_opt, rank_opt, lr_opt, mmlu_opt, subjects_opt, layer_opt, db_opt});
  cli.process(app);

  QString dir = cli.value(model_opt);
  if (dir.isEmpty() && !cli.positionalArguments().isEmpty()) dir = cli.positionalArguments().first();
  if (dir.isEmpty() && !cli.isSet(demo_opt) && !cli.isSet(shot_opt)) {
    const QStringList recent = QSettings().value("recentModels").toStringList();
    if (!recent.isEmpty()) dir = recent.first();
  }

  irq::ui::MainWindow window;
  if (cli.isSet(db_opt)) window.set_db_path(cli.value(db_opt));
  window.show();
  irq::ui::install_widget_probe(&window);  // IRQ_WIDGET_PROBE=FILE: for tests/gui/click_through.sh
  // Quantizer plugins load at start; a skipped one is reported with its reason.
  const auto& plugins = irq::ensure_plugins_loaded();
  for (const auto& name : plugins.loaded) window.log(QString("plugin %1 loaded").arg(QString::fromStdString(name)));
  for (const auto& [file, why] : plugins.skipped)
    window.log(QString("plugin %1 skipped: %2").arg(QString::fromStdString(file), QString::fromStdString(why)));
  window.open_model(dir);

  if (cli.isSet(shot_opt)) {
    const QString file = cli.value(shot_opt);
    const QString view = cli.value(view_opt).toLower();
    QTimer::singleShot(0, &window, [&, file, view] {
      window.wait_for_load();
      if (cli.isSet(finetune_opt)) {
        auto* f = window.finetune();
        f->data_edit()->setText(cli.value(finetune_opt));
        f->steps_box()->setValue(cli.value(steps_opt).toInt());
        f->rank_box()->setValue(cli.value(rank_opt).toInt());
        f->lr_box()->setValue(cli.value(lr_opt).toDouble());
        f->out_edit()->setText(QDir::temp().filePath("irqlora-screenshot-finetune"));
        QEventLoop loop;
        QObject::connect(f, &irq::ui::FinetuneView::finished, &loop, &QEventLoop::quit);
        if (f->start()) loop.exec();
        else std::fprintf(stderr, "finetune not started: %s\n", qPrintable(f->message()));
      }
      auto run_until = [](auto* object, auto signal, auto start) {
        QEventLoop loop;
        QObject::connect(object, signal, &loop, &QEventLoop::quit);
        if (start()) loop.exec();
      };
      if (view == "quantize" || view == "heatmap") {  // the heatmap shows the pass it makes
        auto* q = window.quantize();
        run_until(q, &irq::ui::QuantizeView::finished, [q] { return q->start(); });
      }
      if (view == "weights") {
        auto* v = window.weights();
        const QString layer = cli.isSet(layer_opt) ? cli.value(layer_opt) : v->layer_box()->itemText(0);
        run_until(v, &irq::ui::WeightsView::inspected, [v, layer] {
          v->inspect(layer);
          return v->running();
        });
        v->jump_to_largest_gain();
      }
      if (view == "evaluate" && cli.isSet(mmlu_opt)) {
        auto* e = window.evaluate();
        e->data_edit()->setText(cli.value(mmlu_opt));
        e->subjects_edit()->setText(cli.value(subjects_opt));
        run_until(e, &irq::ui::EvaluateView::finished, [e] { return e->start(); });
      }
      if (view == "playground") {  // both panes continue a short prompt
        auto* p = window.playground();
        p->prompt_edit()->setPlainText("Once upon a time");
        p->max_tokens_box()->setValue(48);
        run_until(p, &irq::ui::PlaygroundView::finished, [p] { return p->start(); });
      }
      if (view == "experiments") {
        auto* e = window.experiments();
        e->refresh();
        std::vector<int64_t> ids;
        for (int r = 0; r < e->table()->rowCount(); ++r) ids.push_back(e->table()->item(r, 0)->data(Qt::DisplayRole).toLongLong());
        e->select_runs(ids);
        e->compare(ids);
      }
      for (int i = 0; i < window.tabs()->count(); ++i)
        if (window.tabs()->tabText(i).toLower().remove('&') == view) window.tabs()->setCurrentIndex(i);
      QApplication::processEvents();
      const bool ok = window.grab().save(file);
      if (!window.last_error().isEmpty()) std::fprintf(stderr, "error: %s\n", qPrintable(window.last_error()));
      std::fprintf(stderr, "%s %s\n", ok ? "wrote" : "could not write", qPrintable(file));
      QApplication::exit(ok && window.last_error().isEmpty() ? 0 : 1);
    });
  }
  return app.exec();
}
