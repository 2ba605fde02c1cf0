// Zero-shot task form and bars.
#include "tasks_form.h"

#include <cmath>

#include <QFormLayout>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>

#include <qcustomplot.h>

#include "eval/task_docs.h"

namespace irq::ui {

TasksForm::TasksForm(QWidget* parent)
    : QGroupBox(tr("Zero-shot tasks (lm-eval prompts)"), parent),
      data_(new QLineEdit),
      tasks_(new QListWidget),
      limit_(new QSpinBox),
      start_(new QPushButton(tr("Run tasks"))) {
  data_->setPlaceholderText(tr("folder of <task>_<split>.jsonl (scripts/make_task_data.py)"));
  for (const auto& s : task_specs()) {
    auto* item = new QListWidgetItem(QString::fromStdString(s.name), tasks_);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
    item->setToolTip(tr("split: %1; %2").arg(QString::fromStdString(s.split), s.acc_norm ? tr("acc and acc_norm") : tr("acc")));
  }
  tasks_->setMaximumHeight(7 * 20 + 8);
  limit_->setRange(0, 1000000);
  limit_->setSpecialValueText(tr("all"));
  limit_->setToolTip(tr("the first N documents of each task"));
  auto* form = new QFormLayout(this);
  form->addRow(tr("Task data"), data_);
  form->addRow(tr("Tasks"), tasks_);
  form->addRow(tr("Documents per task"), limit_);
  form->addRow(start_);
}

bool TasksForm::fill(TasksRequest& r) const {
  r.data_dir = data_->text().trimmed().toStdString();
  r.limit = limit_->value();
  r.tasks.clear();
  for (int i = 0; i < tasks_->count(); ++i)
    if (tasks_->item(i)->checkState() == Qt::Checked) r.tasks.push_back(tasks_->item(i)->text().toStdString());
  return !r.tasks.empty();
}

void TasksForm::plot(QCustomPlot* plot, const TasksResult& r) {
  plot->clearPlottables();
  plot->clearItems();
  auto* acc = new QCPBars(plot->xAxis, plot->yAxis);
  auto* norm = new QCPBars(plot->xAxis, plot->yAxis);
  acc->setName(tr("acc"));
  norm->setName(tr("acc_norm"));
  acc->setBrush(QColor(31, 119, 180));
  norm->setBrush(QColor(255, 127, 14));
  acc->setPen(Qt::NoPen);
  norm->setPen(Qt::NoPen);
  auto* group = new QCPBarsGroup(plot);
  acc->setBarsGroup(group);
  norm->setBarsGroup(group);
  acc->setWidth(0.35);
  norm->setWidth(0.35);
  auto* err_acc = new QCPErrorBars(plot->xAxis, plot->yAxis);
  auto* err_norm = new QCPErrorBars(plot->xAxis, plot->yAxis);
  err_acc->setDataPlottable(acc);
  err_norm->setDataPlottable(norm);
  err_acc->removeFromLegend();
  err_norm->removeFromLegend();
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  int i = 0;
  for (const auto& task : r.order) {
    const auto& s = r.scores.at(task);
    ticker->addTick(i, QString::fromStdString(task).replace('_', '\n'));
    acc->addData(i, 100 * s.acc);
    err_acc->addData(std::isfinite(s.acc_stderr) ? 100 * s.acc_stderr : 0);
    if (s.has_acc_norm) {
      norm->addData(i, 100 * s.acc_norm);
      err_norm->addData(std::isfinite(s.acc_norm_stderr) ? 100 * s.acc_norm_stderr : 0);
    }
    ++i;
  }
  plot->xAxis->setTicker(ticker);
  plot->xAxis->setRange(-0.6, i - 0.4);
  plot->yAxis->setRange(0, 100);
  plot->yAxis->setLabel(tr("accuracy % (± stderr)"));
  plot->replot();
}

}  // namespace irq::ui
