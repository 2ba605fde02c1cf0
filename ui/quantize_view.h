// Quantize tab: the quantizer settings `irqlora quantize` takes (method,
// bits, group, ICQ lambda and n), validated; a whole-model pass in a worker
// thread (recorded in the runs database); then a sortable per-layer table
// (entropy before/after, gain, MSE, SQNR, bits per weight) and the per-layer
// entropy plot. Double-clicking a layer opens it in the Weights tab.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include "jobs/quant_job.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace irq::ui {

class GptqForm;
class JobsPanel;
class RunOnForm;

class QuantizeView : public QWidget {
  Q_OBJECT
 public:
  explicit QuantizeView(JobsPanel* jobs, QWidget* parent = nullptr);
  ~QuantizeView() override;
  void set_model_dir(const QString& dir) { model_dir_ = dir; }
  void set_db_path(const QString& path) { db_path_ = path; }
  // The form's settings; throws irq::Error (kUsage) with the reason when invalid.
  QuantSettings settings() const;
  bool start();  // false (message shown) when the form is invalid or a job runs
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }

  QComboBox* method_box() const { return method_; }
  QSpinBox* group_box() const { return group_; }
  GptqForm* gptq_form() const { return gptq_; }
  RunOnForm* run_on() const { return run_on_; }
  QTableWidget* table() const { return table_; }
  QCustomPlot* plot() const { return plot_; }
  QString message() const;
  const QuantizeOutcome& outcome() const { return outcome_; }

 Q_SIGNALS:
  void finished(bool ok, const QString& message);
  void layer_chosen(const QString& weight_name);
  void settings_changed(const irq::QuantSettings& settings);
  void log(const QString& line);

 private:
  void on_done();
  JobsPanel* jobs_;
  QString model_dir_, db_path_;
  QComboBox* method_;
  QSpinBox *group_, *n_;
  QCheckBox* icq_;
  GptqForm* gptq_;
  QDoubleSpinBox* lambda_;
  RunOnForm* run_on_;
  QPushButton* start_;
  QLabel *errors_, *summary_;
  QTableWidget* table_;
  QCustomPlot* plot_;
  QFutureWatcher<QString> watcher_;
  QuantizeOutcome outcome_;
  int job_ = 0;
};

}  // namespace irq::ui
