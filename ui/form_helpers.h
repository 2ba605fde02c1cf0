// Small pieces the workbench's forms share: the device choice (auto, CPU,
// CUDA with the device's name, disabled when no GPU is usable), the
// quantization methods of the registered formats, and a form's validation
// problems as one message.
#pragma once

#include <string>
#include <vector>

#include <QString>

class QComboBox;
class QLabel;

namespace irq::ui {

void add_device_choices(QComboBox* box);  // item data: "auto", "cpu", "cuda"
// One item per quantization method of the registered formats (item data: the
// method, "nf4", "int4"; text: `label` with %1 the method in capitals).
void add_quant_method_items(QComboBox* box, const QString& label = QStringLiteral("%1"));
QString problems_text(const std::vector<std::string>& problems);

class JobsPanel;
// For a view's on_done: a failed job's error shown in `label` and on the
// job's row of the jobs panel (when there is one). False when it succeeded.
bool show_job_error(const QString& error, QLabel* label, JobsPanel* jobs, int job);

}  // namespace irq::ui
