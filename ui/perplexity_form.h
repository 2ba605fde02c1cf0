// The perplexity part of the Evaluate tab: a UTF-8 text file, the window and
// stride of the sliding window (eval/perplexity.h), and the plot of a result:
// the perplexity of each window's newly scored tokens along the text, with
// the text's overall perplexity as a dashed line. The model, base, adapter and
// device come from the rest of the tab.
#pragma once

#include <QGroupBox>

#include "jobs/perplexity_job.h"

class QCustomPlot;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace irq::ui {

class PerplexityForm : public QGroupBox {
  Q_OBJECT
 public:
  explicit PerplexityForm(QWidget* parent = nullptr);
  void fill(PerplexityRequest& r) const;  // text file, window, stride
  QLineEdit* text_edit() const { return text_; }
  QSpinBox* window_box() const { return window_; }
  QSpinBox* stride_box() const { return stride_; }
  QPushButton* start_button() const { return start_; }
  static void plot(QCustomPlot* plot, const PerplexityOutcome& r);

 private:
  QLineEdit* text_;
  QSpinBox *window_, *stride_;
  QPushButton* start_;
};

}  // namespace irq::ui
