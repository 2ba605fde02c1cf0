// Shared form pieces (see form_helpers.h).
#include "form_helpers.h"

#include <QComboBox>
#include <QLabel>
#include <QStandardItemModel>
#include <QStringList>

#include "jobs/finetune_job.h"
#include "quant/quant_format.h"
#include "jobs_panel.h"

namespace irq::ui {

void add_quant_method_items(QComboBox* box, const QString& label) {
  for (const auto& m : quant_method_names()) {
    const QString method = QString::fromStdString(m);
    box->addItem(label.arg(method.toUpper()), method);
  }
}

void add_device_choices(QComboBox* box) {
  const bool cuda = cuda_device_available();
  box->addItem(QObject::tr("auto"), "auto");
  box->addItem(QObject::tr("CPU"), "cpu");
  box->addItem(cuda ? QObject::tr("CUDA (%1)").arg(QString::fromStdString(cuda_device_name())) : QObject::tr("CUDA (not available)"),
               "cuda");
  if (!cuda)
    if (auto* model = qobject_cast<QStandardItemModel*>(box->model())) model->item(2)->setEnabled(false);
}

QString problems_text(const std::vector<std::string>& problems) {
  QStringList lines;
  for (const auto& p : problems) lines << QString::fromStdString(p);
  return lines.join("\n");
}

bool show_job_error(const QString& error, QLabel* label, JobsPanel* jobs, int job) {
  if (error.isEmpty()) return false;
  label->setText(error);
  if (jobs) jobs->finish(job, error);
  return true;
}

}  // namespace irq::ui
