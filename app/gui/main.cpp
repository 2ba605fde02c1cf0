// irqlora-workbench: the Qt GUI. Opens MODEL_DIR, else the most recent model,
// else the built-in demo model.
//   irqlora-workbench [MODEL_DIR] [--model DIR] [--screenshot FILE.png [--view NAME]]
// --screenshot renders the window (after the model has loaded) to a PNG and exits.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

#include "main_window.h"
#include "plugin/plugin_loader.h"

int main(int argc, char** argv) {
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
  QCommandLineOption view_opt("view", "Tab to show for --screenshot (model).", "NAME", "model");
  QCommandLineOption demo_opt("demo", "Open the built-in demo model.");
  cli.addOptions({model_opt, shot_opt, view_opt, demo_opt});
  cli.process(app);

  QString dir = cli.value(model_opt);
  if (dir.isEmpty() && !cli.positionalArguments().isEmpty()) dir = cli.positionalArguments().first();
  if (dir.isEmpty() && !cli.isSet(demo_opt) && !cli.isSet(shot_opt)) {
    const QStringList recent = QSettings().value("recentModels").toStringList();
    if (!recent.isEmpty()) dir = recent.first();
  }

  irq::ui::MainWindow window;
  window.show();
  // Quantizer plugins load at start; a skipped one is reported with its reason.
  const auto& plugins = irq::ensure_plugins_loaded();
  for (const auto& name : plugins.loaded) window.log(QString("plugin %1 loaded").arg(QString::fromStdString(name)));
  for (const auto& [file, why] : plugins.skipped)
    window.log(QString("plugin %1 skipped: %2").arg(QString::fromStdString(file), QString::fromStdString(why)));
  window.open_model(dir);

  if (cli.isSet(shot_opt)) {
    const QString file = cli.value(shot_opt);
    const QString view = cli.value(view_opt).toLower();
    QTimer::singleShot(0, &window, [&] {
      window.wait_for_load();
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
