// Small pieces the workbench's forms share: the device choice (auto, CPU,
// CUDA with the device's name, disabled when no GPU is usable) and a form's
// validation problems as one message.
#pragma once

#include <string>
#include <vector>

#include <QString>

class QComboBox;

namespace irq::ui {

void add_device_choices(QComboBox* box);  // item data: "auto", "cpu", "cuda"
QString problems_text(const std::vector<std::string>& problems);

}  // namespace irq::ui
