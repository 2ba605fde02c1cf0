// Background jobs with progress and Cancel.
#include "jobs_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace irq::ui {

struct JobsPanel::Row {
  QWidget* widget;
  QLabel* title;
  QProgressBar* bar;
  QLabel* status;
  QPushButton* cancel;
  bool running = true;
};

JobsPanel::JobsPanel(QWidget* parent) : QWidget(parent), rows_(new QVBoxLayout) {
  auto* outer = new QVBoxLayout(this);
  outer->addLayout(rows_);
  outer->addStretch(1);
}

int JobsPanel::add(const QString& title, std::function<void()> cancel) {
  const int id = next_++;
  auto* row = new Row{new QWidget, new QLabel(title), new QProgressBar, new QLabel(tr("starting")), new QPushButton(tr("Cancel"))};
  auto* h = new QHBoxLayout(row->widget);
  h->setContentsMargins(2, 2, 2, 2);
  row->title->setMinimumWidth(180);
  row->bar->setRange(0, 0);
  row->bar->setMaximumWidth(220);
  h->addWidget(row->title);
  h->addWidget(row->bar);
  h->addWidget(row->status, 1);
  h->addWidget(row->cancel);
  connect(row->cancel, &QPushButton::clicked, this, [row, cancel = std::move(cancel)] {
    row->cancel->setEnabled(false);
    row->status->setText(tr("cancelling..."));
    if (cancel) cancel();
  });
  rows_->insertWidget(0, row->widget);
  jobs_[id] = row;
  return id;
}

void JobsPanel::progress(int id, int64_t done, int64_t total, const QString& status) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  it->second->bar->setRange(0, static_cast<int>(total));
  it->second->bar->setValue(static_cast<int>(done));
  it->second->status->setText(status);
}

void JobsPanel::finish(int id, const QString& outcome) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  auto* row = it->second;
  row->running = false;
  row->cancel->hide();
  if (row->bar->maximum() == 0) row->bar->setRange(0, 1);
  row->status->setText(outcome);
}

void JobsPanel::cancel_all() {
  for (const auto& [id, row] : jobs_)
    if (row->running && row->cancel->isEnabled()) row->cancel->click();
}

int JobsPanel::running() const {
  int n = 0;
  for (const auto& [id, row] : jobs_) n += row->running;
  return n;
}

QString JobsPanel::status_text(int id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? QString() : it->second->status->text();
}

QFuture<QString> run_in_worker(std::function<void()> work) {
  return QtConcurrent::run([work = std::move(work)]() -> QString {
    try {
      work();
      return QString();
    } catch (const std::exception& e) {
      return QString::fromStdString(e.what());
    }
  });
}

void JobProgress::progress(const std::string& what, int64_t done, int64_t total) {
  QPointer<JobsPanel> jobs = jobs_;
  if (!jobs) return;
  const int id = id_;
  const QString text = QString("%1 %2/%3").arg(QString::fromStdString(what)).arg(done).arg(total);
  QMetaObject::invokeMethod(jobs.data(), [jobs, id, done, total, text] { if (jobs) jobs->progress(id, done, total, text); },
                            Qt::QueuedConnection);
}

}  // namespace irq::ui
