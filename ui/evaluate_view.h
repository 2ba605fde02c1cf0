// Evaluate tab: MMLU settings (data folder, shots, subjects, quantized base,
// adapter, device — showing whether CUDA is there), validated; the evaluation
// in a worker thread with live progress in the jobs area; then accuracy per
// category as a bar chart. Recorded in the runs database.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include "jobs/mmlu_job.h"

class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace irq::ui {

class JobsPanel;

class EvaluateView : public QWidget {
  Q_OBJECT
 public:
  explicit EvaluateView(JobsPanel* jobs, QWidget* parent = nullptr);
  ~EvaluateView() override;
  void set_model_dir(const QString& dir) { model_dir_ = dir; }
  void set_db_path(const QString& path) { db_path_ = path; }
  MmluRequest request() const;
  bool start();
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }
  QLineEdit* data_edit() const { return data_; }
  QLineEdit* subjects_edit() const { return subjects_; }
  QComboBox* device_box() const { return device_; }
  QCustomPlot* plot() const { return plot_; }
  QString message() const;
  const MmluOutcome& outcome() const { return outcome_; }

 Q_SIGNALS:
  void finished(bool ok, const QString& message);
  void log(const QString& line);

 private:
  void on_done();
  JobsPanel* jobs_;
  QString model_dir_, db_path_;
  QLineEdit *data_, *subjects_, *adapter_;
  QSpinBox* shots_;
  QComboBox *quant_, *device_;
  QPushButton* start_;
  QLabel *errors_, *summary_;
  QCustomPlot* plot_;
  QFutureWatcher<QString> watcher_;
  MmluOutcome outcome_;
  int job_ = 0;
};

}  // namespace irq::ui
