// irqlora-workbench-shot: the workbench driven by a script, for screenshots
// and tests (built in the build tree, not installed). It opens the window as
// irqlora-workbench does, then, with --screenshot, runs the job the chosen
// view shows through the views' public interface, renders the window to a
// PNG and exits; without --screenshot the window stays open. With
// IRQ_WIDGET_PROBE=FILE it writes the widget probe that
// tests/gui/click_through.sh reads.
//   irqlora-workbench-shot [MODEL_DIR] [--model DIR] [--db PATH] [--screenshot FILE.png [--view NAME]]
//                          [--finetune DATA --steps N --rank R --lr LR] [--mmlu DIR --subjects LIST] [--layer NAME]
// --view experiments compares every run in the database first.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEventLoop>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>

#include <cstdio>

#include "builtin_formats.h"
#include "evaluate_view.h"
#include "experiments_view.h"
#include "finetune_view.h"
#include "main_window.h"
#include "playground_view.h"
#include "quantize_view.h"
#include "runtime/threads.h"
#include "startup.h"
#include "weights_view.h"
#include "widget_probe.h"

namespace {

// Starts a job with `start` and returns once `object` emitted `signal`.
template <typename Object, typename Signal, typename Start>
void run_until(Object* object, Signal signal, Start start) {
  QEventLoop loop;
  QObject::connect(object, signal, &loop, &QEventLoop::quit);
  if (start()) loop.exec();
}

struct ShotOptions {
  QCommandLineOption shot{"screenshot", "Render the window to a PNG once the model is loaded, then exit.", "FILE"};
  QCommandLineOption view{"view", "Tab to show for --screenshot (model, weights, quantize, heatmap, finetune, evaluate, experiments, playground).", "NAME", "model"};
  QCommandLineOption finetune{"finetune", "Start a finetune of the opened model on this Alpaca file (Finetune tab).", "DATA"};
  QCommandLineOption steps{"steps", "Steps of --finetune.", "N", "30"};
  QCommandLineOption rank{"rank", "LoRA rank of --finetune.", "R", "8"};
  QCommandLineOption lr{"lr", "Learning rate of --finetune.", "LR", "0.0002"};
  QCommandLineOption mmlu{"mmlu", "With --view evaluate: run MMLU from this data folder before the screenshot.", "DIR"};
  QCommandLineOption subjects{"subjects", "Subjects for --mmlu (comma-separated).", "LIST"};
  QCommandLineOption layer{"layer", "With --view weights: the layer to inspect (default: the first).", "NAME"};
};

// The jobs the chosen view shows, run to their end.
void run_view_jobs(irq::ui::MainWindow& window, const QCommandLineParser& cli, const ShotOptions& o, const QString& view) {
  using namespace irq::ui;
  if (cli.isSet(o.finetune)) {
    auto* f = window.finetune();
    f->data_edit()->setText(cli.value(o.finetune));
    f->steps_box()->setValue(cli.value(o.steps).toInt());
    f->rank_box()->setValue(cli.value(o.rank).toInt());
    f->lr_box()->setValue(cli.value(o.lr).toDouble());
    f->out_edit()->setText(QDir::temp().filePath("irqlora-screenshot-finetune"));
    QEventLoop loop;
    QObject::connect(f, &FinetuneView::finished, &loop, &QEventLoop::quit);
    if (f->start()) loop.exec();
    else std::fprintf(stderr, "finetune not started: %s\n", qPrintable(f->message()));
  }
  if (view == "quantize" || view == "heatmap") {  // the heatmap shows the pass it makes
    auto* q = window.quantize();
    run_until(q, &QuantizeView::finished, [q] { return q->start(); });
  }
  if (view == "weights") {
    auto* v = window.weights();
    const QString layer = cli.isSet(o.layer) ? cli.value(o.layer) : v->layer_box()->itemText(0);
    run_until(v, &WeightsView::inspected, [v, layer] {
      v->inspect(layer);
      return v->running();
    });
    v->jump_to_largest_gain();
  }
  if (view == "evaluate" && cli.isSet(o.mmlu)) {
    auto* e = window.evaluate();
    e->data_edit()->setText(cli.value(o.mmlu));
    e->subjects_edit()->setText(cli.value(o.subjects));
    run_until(e, &EvaluateView::finished, [e] { return e->start(); });
  }
  if (view == "playground") {  // both panes continue a short prompt
    auto* p = window.playground();
    p->prompt_edit()->setPlainText("Once upon a time");
    p->max_tokens_box()->setValue(48);
    run_until(p, &PlaygroundView::finished, [p] { return p->start(); });
  }
  if (view == "experiments") {
    auto* e = window.experiments();
    e->refresh();
    std::vector<int64_t> ids;
    for (int r = 0; r < e->table()->rowCount(); ++r) ids.push_back(e->table()->item(r, 0)->data(Qt::DisplayRole).toLongLong());
    e->select_runs(ids);
    e->compare(ids);
  }
}

}  // namespace

int main(int argc, char** argv) {
  irq::configure_process_threads(argc, argv);
  QApplication app(argc, argv);
  irq::ui::set_application_identity();
  irq::register_builtin_formats();  // before any view reads a format (QuantSettings::for_method)

  QCommandLineParser cli;
  cli.setApplicationDescription("The IR-QLoRA workbench driven by a script: screenshots and tests.");
  const irq::ui::StartOptions start;
  const ShotOptions shot;
  start.add_to(cli);
  cli.addOptions({shot.shot, shot.view, shot.finetune, shot.steps, shot.rank, shot.lr, shot.mmlu, shot.subjects, shot.layer});
  cli.process(app);

  irq::ui::MainWindow window;
  start.apply(cli, window);
  window.show();
  irq::ui::install_widget_probe(&window);  // IRQ_WIDGET_PROBE=FILE: for tests/gui/click_through.sh
  irq::ui::log_formats(window);
  // A screenshot shows what it was asked for, never the user's last model.
  window.open_model(start.model_dir(cli, /*use_recent=*/!cli.isSet(shot.shot)));

  if (cli.isSet(shot.shot)) {
    const QString file = cli.value(shot.shot);
    const QString view = cli.value(shot.view).toLower();
    QTimer::singleShot(0, &window, [&, file, view] {
      window.wait_for_load();
      run_view_jobs(window, cli, shot, view);
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
