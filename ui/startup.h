// What the workbench and its screenshot tool (app/gui/workbench_shot.cpp) do
// when they start, written once: their identity (the QSettings scope that
// holds recent models and remembered form values), the command-line options
// they share, the quantization formats named in the log, the model to open.
#pragma once

#include <QCommandLineOption>
#include <QString>

class QCommandLineParser;

namespace irq::ui {

class MainWindow;

void set_application_identity();

// [MODEL_DIR] [--model DIR] [--demo] [--db PATH], help and version.
struct StartOptions {
  QCommandLineOption model{"model", "Model folder to open.", "DIR"};
  QCommandLineOption demo{"demo", "Open the built-in demo model."};
  QCommandLineOption db{"db", "Runs database (default $IRQ_RUNS_DB or ~/.local/share/irqlora/runs.sqlite).", "PATH"};
  void add_to(QCommandLineParser& cli) const;
  // The folder to open: --model, else MODEL_DIR, else (when `use_recent` and
  // without --demo) the most recently opened one; "" opens the demo model.
  QString model_dir(const QCommandLineParser& cli, bool use_recent) const;
  // The runs database of --db, when given.
  void apply(const QCommandLineParser& cli, MainWindow& window) const;
};

// Names the registered quantization formats in the window's log (the program
// registers them, register_builtin_formats, before it builds the window).
void log_formats(MainWindow& window);

}  // namespace irq::ui
