// Small pieces the workbench's forms share: the device choice (auto, CPU,
// CUDA with the device's name, disabled when no GPU is usable) and a form's
// validation problems as one message.
#pragma once

#include <string>
#include <vector>

#include <QString>

class QComboBox;
class QLabel;

namespace irq::ui {

void add_device_choices(QComboBox* box);  // item data: "auto", "cpu", "cuda"
QString problems_text(const std::vector<std::string>& problems);

class JobsPanel;
// For a view's on_done: a failed job's error shown in `label` and on the
// job's row of the jobs panel (when there is one). False when it succeeded.
bool show_job_error(const QString& error, QLabel* label, JobsPanel* jobs, int job);

}  // namespace irq::ui
