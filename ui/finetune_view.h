// Finetune tab: the settings `irqlora finetune` takes (quantized base, LoRA /
// IEC-LoRA, data, steps, batch, LR, device — showing whether CUDA is there;
// the rest — schedule, dropout, targets, lengths, held-out evaluation,
// checkpoints and resume, memory — folded under "More options"), validated
// with messages naming the field, a Start/Cancel pair, and the live loss and
// LR curves of the running job. The job runs the engine (jobs/finetune_job.h)
// in a worker thread and records the run in the runs database. With several
// GPUs, "all N GPUs" runs N data-parallel ranks through the CLI (finetune
// --nproc N), whose rank 0 reports the job's loss and tokens/s (and each
// rank's) to the same plot and Jobs panel.
#pragma once

#include <memory>
#include <vector>

#include <QFutureWatcher>
#include <QWidget>

#include "jobs/finetune_job.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace irq::ui {

class FinetuneOptionsForm;
class JobsPanel;
class RunOnForm;

class FinetuneView : public QWidget {
  Q_OBJECT
 public:
  FinetuneView(JobsPanel* jobs, QWidget* parent = nullptr);
  ~FinetuneView() override;

  void set_model_dir(const QString& dir);
  void set_db_path(const QString& path) { db_path_ = path; }
  // The form as a request (the model, database and output folder included).
  FinetuneRequest request() const;
  // Validates and starts; returns false (messages shown) when the form is wrong.
  bool start();
  void cancel();
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }

  QCustomPlot* plot() const { return plot_; }
  QString message() const;
  const std::vector<FinetunePoint>& points() const { return points_; }
  // Form fields, for tests and scripted use.
  QLineEdit* data_edit() const { return data_; }
  QLineEdit* out_edit() const { return out_; }
  QComboBox* quant_box() const { return quant_; }
  QSpinBox* steps_box() const { return steps_; }
  QSpinBox* rank_box() const { return rank_; }
  QDoubleSpinBox* lr_box() const { return lr_; }
  QComboBox* device_box() const { return device_; }
  QCheckBox* iec_box() const { return iec_; }
  QCheckBox* qa_lora_box() const { return qa_lora_; }
  QSpinBox* group_box() const { return group_; }
  RunOnForm* run_on() const { return run_on_; }
  FinetuneOptionsForm* options() const { return options_; }
  // "all N GPUs": shown when the machine has more than one (set from the
  // CUDA device count at construction).
  void set_gpu_count(int n);
  QCheckBox* all_gpus_box() const { return all_gpus_; }

 Q_SIGNALS:
  void finished(bool ok, const QString& message);
  void log(const QString& line);

 private:
  void on_point(const FinetunePoint& p);
  void on_done();

  JobsPanel* jobs_;
  QString model_dir_, db_path_;
  QLabel* model_label_;
  QLineEdit *data_, *out_;
  QComboBox *quant_, *device_;
  QCheckBox *icq_, *iec_, *qa_lora_, *all_gpus_;
  int gpu_count_ = 0;
  QSpinBox *rank_, *steps_, *batch_, *accum_, *group_;
  QDoubleSpinBox *alpha_, *lr_;
  FinetuneOptionsForm* options_;
  RunOnForm* run_on_;
  QPushButton *start_, *cancel_;
  QLabel *errors_, *stats_;
  QCustomPlot* plot_;
  std::vector<FinetunePoint> points_;
  std::shared_ptr<CancelToken> token_;
  QFutureWatcher<QString> watcher_;  // result: "" on success, else the error
  int job_ = 0;
};

}  // namespace irq::ui
