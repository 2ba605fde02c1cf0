// The GPTQ part of a quantization form (Quantize tab): a checkable group
// "GPTQ (INT-k)" with the calibration text, segments x tokens, seed,
// symmetric range, act-order and dampening — the options `irqlora quantize
// --gptq` takes, with the same defaults (GptqSettings). Folded away while off.
#pragma once

#include <QGroupBox>

#include "quant/quant_settings.h"

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;
class QWidget;

namespace irq::ui {

class GptqForm : public QGroupBox {
  Q_OBJECT
 public:
  explicit GptqForm(QWidget* parent = nullptr);
  GptqSettings settings() const;  // enabled = the group is checked
  QLineEdit* calib_edit() const { return calib_; }
  QSpinBox* nsamples_box() const { return nsamples_; }
  QSpinBox* seqlen_box() const { return seqlen_; }

 private:
  QWidget* body_;
  QLineEdit* calib_;
  QSpinBox *nsamples_, *seqlen_, *seed_;
  QCheckBox *sym_, *act_order_;
  QDoubleSpinBox* damp_;
};

}  // namespace irq::ui
