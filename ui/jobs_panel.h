// The jobs area: one row per background job (title, progress bar, status,
// Cancel). Views add their jobs here and update them from the GUI thread.
#pragma once

#include <functional>
#include <map>

#include <QFuture>
#include <QPointer>
#include <QWidget>

#include "common/progress.h"

class QVBoxLayout;

namespace irq::ui {

class JobsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit JobsPanel(QWidget* parent = nullptr);
  // Returns the job's id; `cancel` runs when the user presses Cancel.
  int add(const QString& title, std::function<void()> cancel);
  void progress(int id, int64_t done, int64_t total, const QString& status);
  void finish(int id, const QString& outcome);  // keeps the row, without Cancel
  int running() const;
  // Cancels every running job (the window is closing): each one's cancel as
  // if its Cancel were pressed.
  void cancel_all();
  QString status_text(int id) const;

 private:
  struct Row;
  QVBoxLayout* rows_;
  std::map<int, Row*> jobs_;
  int next_ = 1;
};

// Runs `work` on a worker thread; the future holds "" on success, else the
// text of the exception it threw.
QFuture<QString> run_in_worker(std::function<void()> work);

// A progress sink for a worker thread: forwards (what, done, total) to job
// `id` of the panel on the GUI thread (queued; dropped if the panel is gone).
class JobProgress final : public ProgressSink {
 public:
  JobProgress(JobsPanel* jobs, int id) : jobs_(jobs), id_(id) {}
  void progress(const std::string& what, int64_t done, int64_t total) override;

 private:
  QPointer<JobsPanel> jobs_;
  int id_;
};

}  // namespace irq::ui
