// The Finetune tab's folded options (finetune_options_form.h).
#include "finetune_options_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "quant/model_quantizer.h"

namespace irq::ui {

namespace {

QSpinBox* spin(int64_t value, int lo, int hi, const QString& special = {}) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setValue(static_cast<int>(value));
  if (!special.isEmpty()) s->setSpecialValueText(special);
  return s;
}

QDoubleSpinBox* real(double value, double lo, double hi, double step, int decimals) {
  auto* s = new QDoubleSpinBox;
  s->setDecimals(decimals);
  s->setRange(lo, hi);
  s->setSingleStep(step);
  s->setValue(value);
  return s;
}

QLabel* heading(const QString& text) {
  auto* l = new QLabel("<b>" + text + "</b>");
  l->setContentsMargins(0, 6, 0, 0);
  return l;
}

}  // namespace

FinetuneOptionsForm::FinetuneOptionsForm(QWidget* parent) : QWidget(parent), toggle_(new QToolButton), body_(new QWidget) {
  const FinetuneRequest d;
  const TrainConfig& t = d.train;
  schedule_ = new QComboBox;
  schedule_->addItem(tr("constant"), "constant");
  schedule_->addItem(tr("cosine"), "cosine");
  schedule_->setCurrentIndex(schedule_->findData(QString::fromStdString(t.schedule)));
  warmup_ = real(t.warmup_ratio, 0, 1, 0.01, 3);
  grad_norm_ = real(t.max_grad_norm, 0.001, 1000, 0.1, 3);
  dropout_ = real(d.lora.dropout, 0, 0.99, 0.05, 3);
  targets_ = new QLineEdit;
  targets_->setText("all");
  targets_->setToolTip(tr("all, or projections: q,k,v,o,gate,up,down"));
  source_len_ = spin(t.source_max_len, 1, 1 << 20);
  target_len_ = spin(t.target_max_len, 1, 1 << 20);
  seed_ = spin(static_cast<int64_t>(t.seed), 0, 1 << 30);
  holdout_ = spin(d.holdout, 0, 1 << 30, tr("none"));
  eval_rows_ = spin(d.eval_rows, 0, 1 << 30, tr("all held out"));
  eval_every_ = spin(d.eval_every, 0, 1 << 30, tr("at the end"));
  save_every_ = spin(d.save_every, 0, 1 << 30, tr("at the end"));
  resume_ = new QCheckBox(tr("Resume from the output folder's latest checkpoint"));
  checkpointing_ = new QComboBox;
  checkpointing_->addItem(tr("auto (on for CUDA)"), -1);
  checkpointing_->addItem(tr("on"), 1);
  checkpointing_->addItem(tr("off"), 0);
  checkpointing_->setCurrentIndex(checkpointing_->findData(t.gradient_checkpointing));
  offload_ = new QCheckBox(tr("AdamW moments in host memory"));
  offload_->setChecked(t.optimizer_offload);
  tf32_ = new QCheckBox(tr("TF32 matmuls on CUDA"));
  tf32_->setChecked(d.tf32);
  dtype_ = new QComboBox;
  dtype_->addItem(tr("default (float32 on CPU, bfloat16 on CUDA)"), QString());
  for (const char* t_name : {"float32", "bfloat16", "float16"}) dtype_->addItem(t_name, QString(t_name));

  auto* form = new QFormLayout(body_);
  form->setContentsMargins(0, 0, 0, 0);
  form->addRow(heading(tr("Schedule")));
  form->addRow(tr("Learning rate schedule"), schedule_);
  form->addRow(tr("Warmup ratio"), warmup_);
  form->addRow(tr("Max gradient norm"), grad_norm_);
  form->addRow(tr("LoRA dropout"), dropout_);
  form->addRow(tr("Target projections"), targets_);
  form->addRow(tr("Source max tokens"), source_len_);
  form->addRow(tr("Target max tokens"), target_len_);
  form->addRow(tr("Seed"), seed_);
  form->addRow(heading(tr("Held-out evaluation")));
  form->addRow(tr("Held-out rows"), holdout_);
  form->addRow(tr("Evaluate on"), eval_rows_);
  form->addRow(tr("Evaluate every"), eval_every_);
  form->addRow(heading(tr("Checkpoints")));
  form->addRow(tr("Save every (steps)"), save_every_);
  form->addRow(QString(), resume_);
  form->addRow(heading(tr("Memory")));
  form->addRow(tr("Gradient checkpointing"), checkpointing_);
  form->addRow(QString(), offload_);
  form->addRow(QString(), tf32_);
  form->addRow(tr("Compute dtype"), dtype_);

  toggle_->setText(tr("More options"));
  toggle_->setCheckable(true);
  toggle_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  toggle_->setAutoRaise(true);
  toggle_->setObjectName("finetune.more");  // for out-of-process tests (widget_probe.h)
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(0, 0, 0, 0);
  v->addWidget(toggle_);
  v->addWidget(body_);
  connect(toggle_, &QToolButton::toggled, this, [this](bool on) { set_expanded(on); });
  set_expanded(false);
}

void FinetuneOptionsForm::set_expanded(bool on) {
  toggle_->setChecked(on);
  toggle_->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
  body_->setVisible(on);
}

bool FinetuneOptionsForm::expanded() const { return toggle_->isChecked(); }

void FinetuneOptionsForm::apply_to(FinetuneRequest* r) const {
  TrainConfig& t = r->train;
  t.schedule = schedule_->currentData().toString().toStdString();
  t.warmup_ratio = warmup_->value();
  t.max_grad_norm = grad_norm_->value();
  r->lora.dropout = dropout_->value();
  try {
    r->lora.targets = parse_targets(targets_->text().trimmed().toStdString());
  } catch (const std::exception&) {  // each known name expanded, an unknown one kept as typed for validate() to name
    r->lora.targets.clear();
    for (const QString& part : targets_->text().split(',', Qt::SkipEmptyParts)) {
      const std::string name = part.trimmed().toStdString();
      try {
        r->lora.targets.push_back(parse_targets(name).at(0));
      } catch (const std::exception&) {
        r->lora.targets.push_back(name);
      }
    }
  }
  t.source_max_len = source_len_->value();
  t.target_max_len = target_len_->value();
  t.seed = static_cast<uint64_t>(seed_->value());
  r->holdout = holdout_->value();
  r->eval_rows = eval_rows_->value();
  r->eval_every = eval_every_->value();
  r->save_every = save_every_->value();
  r->resume = resume_->isChecked();
  t.gradient_checkpointing = checkpointing_->currentData().toInt();
  t.optimizer_offload = offload_->isChecked();
  r->tf32 = tf32_->isChecked();
  r->dtype = dtype_->currentData().toString().toStdString();
}

}  // namespace irq::ui
