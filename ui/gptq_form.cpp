// GPTQ options of the Quantize tab (gptq_form.h).
#include "gptq_form.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace irq::ui {

GptqForm::GptqForm(QWidget* parent)
    : QGroupBox(tr("GPTQ (INT-k, calibrated)"), parent),
      body_(new QWidget),
      calib_(new QLineEdit),
      nsamples_(new QSpinBox),
      seqlen_(new QSpinBox),
      seed_(new QSpinBox),
      sym_(new QCheckBox(tr("Symmetric range (zero = 2^(k-1))"))),
      act_order_(new QCheckBox(tr("Act-order (static groups)"))),
      damp_(new QDoubleSpinBox) {
  const GptqSettings d;
  setCheckable(true);
  setChecked(false);
  calib_->setPlaceholderText(tr("calibration text file"));
  auto* browse = new QPushButton(tr("Browse..."));
  auto* calib_row = new QHBoxLayout;
  calib_row->setContentsMargins(0, 0, 0, 0);
  calib_row->addWidget(calib_, 1);
  calib_row->addWidget(browse);
  nsamples_->setRange(1, 100000);
  nsamples_->setValue(static_cast<int>(d.nsamples));
  seqlen_->setRange(2, 1000000);
  seqlen_->setValue(static_cast<int>(d.seqlen));
  seed_->setRange(0, 1 << 30);
  seed_->setValue(static_cast<int>(d.seed));
  damp_->setRange(0.0001, 1.0);
  damp_->setDecimals(4);
  damp_->setSingleStep(0.005);
  damp_->setValue(d.damp);
  act_order_->setToolTip(tr("Columns in order of descending Hessian diagonal; each group's scale and zero are chosen "
                            "before the loop, so groups stay contiguous"));
  auto* form = new QFormLayout(body_);
  form->setContentsMargins(0, 0, 0, 0);
  form->addRow(tr("Calibration text"), calib_row);
  form->addRow(tr("Segments"), nsamples_);
  form->addRow(tr("Tokens per segment"), seqlen_);
  form->addRow(tr("Seed"), seed_);
  form->addRow(tr("Dampening"), damp_);
  form->addRow(QString(), sym_);
  form->addRow(QString(), act_order_);
  auto* outer = new QVBoxLayout(this);
  outer->addWidget(body_);
  body_->setVisible(false);
  connect(this, &QGroupBox::toggled, body_, &QWidget::setVisible);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Calibration text"), calib_->text(), tr("Text (*.txt);;All files (*)"));
    if (!f.isEmpty()) calib_->setText(f);
  });
}

GptqSettings GptqForm::settings() const {
  GptqSettings g;
  g.enabled = isChecked();
  if (!g.enabled) return g;
  g.calib = calib_->text().trimmed().toStdString();
  g.nsamples = nsamples_->value();
  g.seqlen = seqlen_->value();
  g.seed = static_cast<uint64_t>(seed_->value());
  g.sym = sym_->isChecked();
  g.act_order = act_order_->isChecked();
  g.damp = damp_->value();
  return g;
}

}  // namespace irq::ui
