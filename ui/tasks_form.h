// The zero-shot tasks part of the Evaluate tab: the folder of task files, a
// checklist of the seven tasks (lm-eval's), documents per task, and the
// per-task bars (acc and acc_norm with their standard errors) of a result.
// The model, base, adapter and device come from the rest of the tab.
#pragma once

#include <QGroupBox>

#include "jobs/tasks_job.h"

class QCustomPlot;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace irq::ui {

class TasksForm : public QGroupBox {
  Q_OBJECT
 public:
  explicit TasksForm(QWidget* parent = nullptr);
  // The form's part of a request: data folder, checked tasks, limit;
  // false when no task is checked.
  bool fill(TasksRequest& r) const;
  QLineEdit* data_edit() const { return data_; }
  QListWidget* task_list() const { return tasks_; }
  QPushButton* start_button() const { return start_; }
  QSpinBox* limit_box() const { return limit_; }
  // Grouped bars per task: acc, and acc_norm where lm-eval reports it.
  static void plot(QCustomPlot* plot, const TasksResult& r);

 private:
  QLineEdit* data_;
  QListWidget* tasks_;
  QSpinBox* limit_;
  QPushButton* start_;
};

}  // namespace irq::ui
