// File > Export: the settings of `irqlora export` (format, output, adapter,
// quantized base, GGUF type, dtype, overwrite) for the open model; the export
// runs in a worker thread with progress in the jobs area and is recorded in
// the runs database (core/jobs/export_job.h).
#pragma once

#include <QDialog>
#include <QFutureWatcher>

#include "jobs/export_job.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace irq::ui {

class JobsPanel;
class RunOnForm;

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  ExportDialog(const QString& model_dir, const QString& db_path, JobsPanel* jobs, QWidget* parent = nullptr);
  ~ExportDialog() override;
  ExportRequest request() const;
  bool start();  // false (message shown) when the form is incomplete
  bool running() const { return watcher_.isRunning(); }
  QComboBox* format_box() const { return format_; }
  QComboBox* quant_box() const { return quant_; }
  QComboBox* gguf_box() const { return gguf_; }
  QLineEdit* out_edit() const { return out_; }
  QCheckBox* force_box() const { return force_; }
  RunOnForm* run_on() const { return run_on_; }
  QString message() const;

 Q_SIGNALS:
  void finished(bool ok, const QString& message);

 private:
  void on_done();
  void update_fields();
  QString model_dir_, db_path_;
  JobsPanel* jobs_;
  QComboBox *format_, *quant_, *gguf_, *dtype_;
  QLineEdit *out_, *adapter_;
  QSpinBox* group_;
  QCheckBox *icq_, *force_;
  QPushButton* export_;
  RunOnForm* run_on_;
  QLabel* status_;
  QString host_;  // where the running export writes ("" here)
  QFutureWatcher<QString> watcher_;
  int job_ = 0;
};

}  // namespace irq::ui
