// Background model loading.
#include "model_load_job.h"

#include <chrono>

#include <QtConcurrent/QtConcurrentRun>

#include "demo/demo_model.h"
#include "jobs/inspect_model.h"

namespace irq::ui {

ModelLoadJob::ModelLoadJob(QObject* parent) : QObject(parent) {
  qRegisterMetaType<LoadResult>();
  connect(&watcher_, &QFutureWatcher<LoadResult>::finished, this, [this] { Q_EMIT finished(watcher_.result()); });
}

void ModelLoadJob::start(const QString& dir) {
  Q_EMIT started(dir.isEmpty() ? QStringLiteral("built-in demo model") : dir);
  watcher_.setFuture(QtConcurrent::run([dir]() -> LoadResult {
    LoadResult r;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      const std::filesystem::path path =
          dir.isEmpty() ? ensure_demo_model(default_demo_dir()) : std::filesystem::path(dir.toStdString());
      r.summary = inspect_model(path);  // headers only: no weights are read or kept
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }));
}

}  // namespace irq::ui
