// Evaluate tab: the base (as stored or quantized), adapter and device
// (showing whether CUDA is there), then MMLU (data folder, shots, subjects),
// the zero-shot tasks (tasks_form.h) or perplexity (perplexity_form.h),
// validated; the evaluation in a worker thread with live progress in the jobs
// area; then accuracy per MMLU category, acc / acc_norm per task as bars, or
// the perplexity of each window along the text. Recorded in the runs database.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include <functional>

#include "jobs/mmlu_job.h"
#include "jobs/remote_job.h"
#include "jobs/perplexity_job.h"
#include "jobs/tasks_job.h"

class QComboBox;
class QCPTextElement;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace irq::ui {

class JobsPanel;
class PerplexityForm;
class RunOnForm;
class TasksForm;

class EvaluateView : public QWidget {
  Q_OBJECT
 public:
  explicit EvaluateView(JobsPanel* jobs, QWidget* parent = nullptr);
  ~EvaluateView() override;
  void set_model_dir(const QString& dir) { model_dir_ = dir; }
  void set_db_path(const QString& path) { db_path_ = path; }
  MmluRequest request() const;
  bool start();  // MMLU
  TasksRequest tasks_request() const;
  bool start_tasks();
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }
  QLineEdit* data_edit() const { return data_; }
  QLineEdit* subjects_edit() const { return subjects_; }
  QComboBox* device_box() const { return device_; }
  QCustomPlot* plot() const { return plot_; }
  QString message() const;
  const MmluOutcome& outcome() const { return outcome_; }
  TasksForm* tasks_form() const { return tasks_form_; }
  const TasksOutcome& tasks_outcome() const { return tasks_outcome_; }
  PerplexityRequest perplexity_request() const;
  bool start_perplexity();
  PerplexityForm* perplexity_form() const { return ppl_form_; }
  RunOnForm* run_on() const { return run_on_; }  // MMLU: in this process, through the CLI here, or on an ssh host
  const PerplexityOutcome& perplexity_outcome() const { return ppl_outcome_; }

 Q_SIGNALS:
  void finished(bool ok, const QString& message);
  void log(const QString& line);

 private:
  EvalModelSpec model_spec() const;  // base, adapter and device: shared by MMLU and the tasks
  void on_done();
  void show_mmlu();
  void show_tasks();
  void show_perplexity();
  void set_buttons_enabled(bool on);

  JobsPanel* jobs_;
  QString model_dir_, db_path_;
  QLineEdit *data_, *subjects_, *adapter_;
  QSpinBox* shots_;
  QComboBox *quant_, *device_;
  RunOnForm* run_on_;
  QPushButton* start_;
  QLabel *errors_, *summary_;
  QCustomPlot* plot_;
  QCPTextElement* title_;
  TasksForm* tasks_form_;
  TasksOutcome tasks_outcome_;
  PerplexityForm* ppl_form_;
  PerplexityOutcome ppl_outcome_;
  enum class Running { kMmlu, kTasks, kPerplexity } running_ = Running::kMmlu;
  // Shows the problems and returns false, or starts body in a worker as job `title`.
  bool launch(Running kind, const std::vector<std::string>& problems, const QString& title,
              std::function<void(ProgressSink*, const CancelToken*)> body);
  // The same through the irqlora CLI (Run on): `problems` are the form's,
  // `local_problems` the request's paths, which only a CLI on this machine
  // can check here; `take` turns the streamed results into the outcome.
  bool launch_through(Running kind, const RemoteRequest& remote, std::vector<std::string> problems,
                      const std::vector<std::string>& local_problems, const QString& title,
                      std::function<void(const RemoteOutcome&)> take);
  QFutureWatcher<QString> watcher_;
  MmluOutcome outcome_;
  int job_ = 0;
};

}  // namespace irq::ui
