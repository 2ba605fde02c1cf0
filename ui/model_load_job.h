// Opens a model directory off the GUI thread (QtConcurrent) and hands the GUI
// a plain-data ModelSummary built from config.json and the tensor headers
// (jobs/inspect_model.h): no weights are read or kept; the jobs that need
// them (quantize, finetune, evaluate, inspect a layer) open the checkpoint.
#pragma once

#include <memory>

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include "model/model_summary.h"

namespace irq::ui {

struct LoadResult {
  ModelSummary summary;
  QString error;  // empty on success
  double seconds = 0;
};

class ModelLoadJob : public QObject {
  Q_OBJECT
 public:
  explicit ModelLoadJob(QObject* parent = nullptr);
  // Starts loading `dir`; an empty dir means the built-in demo model (written first if needed).
  void start(const QString& dir);
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }

 Q_SIGNALS:
  void started(const QString& dir);
  void finished(const irq::ui::LoadResult& result);

 private:
  QFutureWatcher<LoadResult> watcher_;
};

}  // namespace irq::ui

Q_DECLARE_METATYPE(irq::ui::LoadResult)
