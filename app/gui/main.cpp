// irqlora-workbench: the Qt GUI. Opens MODEL_DIR, else the most recent model,
// else the built-in demo model.
//   irqlora-workbench [MODEL_DIR] [--model DIR] [--demo] [--db PATH] [--threads N]
// Rendering the window to a PNG after a scripted job, and the widget probe
// of the real-window test, are the build tree's irqlora-workbench-shot
// (workbench_shot.cpp), not this program.
#include <QApplication>
#include <QCommandLineParser>

#include "builtin_formats.h"
#include "main_window.h"
#include "runtime/threads.h"
#include "startup.h"

int main(int argc, char** argv) {
  // First, before Qt starts threads: "--threads N" and the engine's OpenMP
  // environment (passive idle threads); may re-execute the program once.
  irq::configure_process_threads(argc, argv);
  QApplication app(argc, argv);
  irq::ui::set_application_identity();
  irq::register_builtin_formats();  // before any view reads a format (QuantSettings::for_method)

  QCommandLineParser cli;
  cli.setApplicationDescription("IR-QLoRA workbench: quantize, finetune and evaluate LLaMA models.");
  const irq::ui::StartOptions start;
  start.add_to(cli);
  cli.process(app);

  irq::ui::MainWindow window;
  start.apply(cli, window);
  window.show();
  irq::ui::log_formats(window);
  window.open_model(start.model_dir(cli, /*use_recent=*/true));
  return app.exec();
}
