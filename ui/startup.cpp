// The workbench's start, shared by its program and its screenshot tool.
#include "startup.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QStringList>

#include "main_window.h"
#include "quant/quant_format.h"

namespace irq::ui {

void set_application_identity() {
  QApplication::setOrganizationName("irqlora");
  QApplication::setApplicationName("irqlora-workbench");
  QApplication::setApplicationVersion(IRQ_VERSION);
}

void StartOptions::add_to(QCommandLineParser& cli) const {
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("model", "Hugging Face model folder to open (default: the most recent, else the demo model).");
  cli.addOptions({model, demo, db});
}

QString StartOptions::model_dir(const QCommandLineParser& cli, bool use_recent) const {
  QString dir = cli.value(model);
  if (dir.isEmpty() && !cli.positionalArguments().isEmpty()) dir = cli.positionalArguments().first();
  if (dir.isEmpty() && use_recent && !cli.isSet(demo)) {
    const QStringList recent = QSettings().value("recentModels").toStringList();
    if (!recent.isEmpty()) dir = recent.first();
  }
  return dir;
}

void StartOptions::apply(const QCommandLineParser& cli, MainWindow& window) const {
  if (cli.isSet(db)) window.set_db_path(cli.value(db));
}

void log_formats(MainWindow& window) {
  QStringList names;
  for (const auto& name : quant_format_names()) names << QString::fromStdString(name);
  window.log(QString("quantization formats: %1").arg(names.join(", ")));
}

}  // namespace irq::ui
