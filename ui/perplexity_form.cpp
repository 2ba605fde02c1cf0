// Perplexity form and per-window plot (perplexity_form.h).
#include "perplexity_form.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include <cmath>

#include <qcustomplot.h>

namespace irq::ui {

PerplexityForm::PerplexityForm(QWidget* parent)
    : QGroupBox(tr("Perplexity (sliding window)"), parent),
      text_(new QLineEdit),
      window_(new QSpinBox),
      stride_(new QSpinBox),
      start_(new QPushButton(tr("Run perplexity"))) {
  const PerplexityRequest defaults;
  text_->setPlaceholderText(tr("UTF-8 text file"));
  auto* browse = new QPushButton(tr("Browse..."));
  auto* row = new QHBoxLayout;
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(text_, 1);
  row->addWidget(browse);
  window_->setRange(2, 1 << 20);
  window_->setValue(static_cast<int>(defaults.window));
  window_->setToolTip(tr("tokens per window (at most the model's context)"));
  stride_->setRange(1, 1 << 20);
  stride_->setValue(static_cast<int>(defaults.stride));
  stride_->setToolTip(tr("window step: each window scores only the tokens no earlier window scored"));
  auto* form = new QFormLayout(this);
  form->addRow(tr("Text"), row);
  form->addRow(tr("Window"), window_);
  form->addRow(tr("Stride"), stride_);
  form->addRow(start_);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Text"), text_->text(), tr("Text (*.txt);;All files (*)"));
    if (!f.isEmpty()) text_->setText(f);
  });
}

void PerplexityForm::fill(PerplexityRequest& r) const {
  r.text_file = text_->text().trimmed().toStdString();
  r.window = window_->value();
  r.stride = stride_->value();
}

void PerplexityForm::plot(QCustomPlot* plot, const PerplexityOutcome& r) {
  plot->clearPlottables();
  plot->clearItems();
  plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  plot->xAxis->setLabel(QObject::tr("text position (tokens scored so far)"));
  plot->yAxis->setLabel(QObject::tr("perplexity of the window's new tokens"));
  auto* windows = plot->addGraph();
  windows->setName(QObject::tr("per window"));
  windows->setPen(QPen(QColor(31, 119, 180), 1.5));
  windows->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
  double x = 0, lo = INFINITY, hi = 0;
  for (size_t i = 0; i < r.window_nll.size(); ++i) {
    const int64_t n = r.window_tokens[i];
    if (n == 0) continue;
    x += static_cast<double>(n);
    const double ppl = std::exp(r.window_nll[i] / static_cast<double>(n));
    windows->addData(x, ppl);
    lo = std::min(lo, ppl);
    hi = std::max(hi, ppl);
  }
  auto* overall = plot->addGraph();
  overall->setName(QObject::tr("whole text: %1").arg(r.perplexity, 0, 'f', 3));
  overall->setPen(QPen(QColor(214, 39, 40), 1.5, Qt::DashLine));
  overall->addData(0, r.perplexity);
  overall->addData(std::max(x, 1.0), r.perplexity);
  plot->xAxis->setRange(0, 1.02 * std::max(x, 1.0));
  if (std::isfinite(lo)) {  // every point inside, and a band above them for the legend
    lo = std::min(lo, r.perplexity);
    hi = std::max(hi, r.perplexity);
    const double span = std::max(hi - lo, 1e-9);
    plot->yAxis->setRange(lo - 0.05 * span, hi + 0.3 * span);
  }
  plot->replot();
}

}  // namespace irq::ui
