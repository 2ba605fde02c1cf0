// The Finetune tab's rarely changed options, folded away under "More
// options": schedule (constant/cosine, warmup, gradient clipping), LoRA
// dropout and target projections, sequence lengths and seed, held-out
// evaluation, checkpoints and resume, and memory (gradient checkpointing,
// optimizer offload, TF32, dtype): everything `irqlora finetune` takes
// beyond the main form. Its initial values are a default FinetuneRequest's
// (train/train_config.h), so the form, the CLI and the job agree.
#pragma once

#include <QWidget>

#include "jobs/finetune_job.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;
class QToolButton;

namespace irq::ui {

class FinetuneOptionsForm : public QWidget {
  Q_OBJECT
 public:
  explicit FinetuneOptionsForm(QWidget* parent = nullptr);
  // Writes the options into `r` (the main form fills the rest). A target
  // list that does not parse is left for validate() to name.
  void apply_to(FinetuneRequest* r) const;
  void set_expanded(bool on);
  bool expanded() const;

  QComboBox* schedule_box() const { return schedule_; }
  QDoubleSpinBox* warmup_box() const { return warmup_; }
  QDoubleSpinBox* grad_norm_box() const { return grad_norm_; }
  QDoubleSpinBox* dropout_box() const { return dropout_; }
  QLineEdit* targets_edit() const { return targets_; }
  QSpinBox* source_len_box() const { return source_len_; }
  QSpinBox* target_len_box() const { return target_len_; }
  QSpinBox* seed_box() const { return seed_; }
  QSpinBox* holdout_box() const { return holdout_; }
  QSpinBox* eval_rows_box() const { return eval_rows_; }
  QSpinBox* eval_every_box() const { return eval_every_; }
  QSpinBox* save_every_box() const { return save_every_; }
  QCheckBox* resume_box() const { return resume_; }
  QComboBox* checkpointing_box() const { return checkpointing_; }
  QCheckBox* offload_box() const { return offload_; }
  QCheckBox* tf32_box() const { return tf32_; }
  QComboBox* dtype_box() const { return dtype_; }

 private:
  QToolButton* toggle_;
  QWidget* body_;
  QComboBox *schedule_, *checkpointing_, *dtype_;
  QDoubleSpinBox *warmup_, *grad_norm_, *dropout_;
  QLineEdit* targets_;
  QSpinBox *source_len_, *target_len_, *seed_, *holdout_, *eval_rows_, *eval_every_, *save_every_;
  QCheckBox *resume_, *offload_, *tf32_;
};

}  // namespace irq::ui
