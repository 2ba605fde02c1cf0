// Finetune form, job and live curves.
#include "finetune_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QDir>
#include <QPointer>

#include <qcustomplot.h>

#include "finetune_options_form.h"
#include "form_helpers.h"
#include "run_on_form.h"
#include "jobs_panel.h"
#include "plot_tools.h"

namespace irq::ui {

namespace {

QWidget* with_browse(QLineEdit* edit, QWidget* parent, bool folder) {
  auto* w = new QWidget(parent);
  auto* h = new QHBoxLayout(w);
  h->setContentsMargins(0, 0, 0, 0);
  auto* b = new QPushButton(QObject::tr("Browse..."), w);
  h->addWidget(edit, 1);
  h->addWidget(b);
  QObject::connect(b, &QPushButton::clicked, w, [edit, w, folder] {
    const QString f = folder ? QFileDialog::getExistingDirectory(w, QObject::tr("Output folder"))
                             : QFileDialog::getOpenFileName(w, QObject::tr("Alpaca data"), {}, "JSON (*.json *.jsonl)");
    if (!f.isEmpty()) edit->setText(f);
  });
  return w;
}

}  // namespace

FinetuneView::FinetuneView(JobsPanel* jobs, QWidget* parent)
    : QWidget(parent),
      jobs_(jobs),
      model_label_(new QLabel(tr("(no model)"))),
      data_(new QLineEdit),
      out_(new QLineEdit),
      quant_(new QComboBox),
      device_(new QComboBox),
      icq_(new QCheckBox(tr("ICQ (information calibration of the base)"))),
      iec_(new QCheckBox(tr("IEC (information elastic connection)"))),
      qa_lora_(new QCheckBox(tr("QA-LoRA (adapter over the INT groups)"))),
      group_(new QSpinBox),
      rank_(new QSpinBox),
      steps_(new QSpinBox),
      batch_(new QSpinBox),
      accum_(new QSpinBox),
      alpha_(new QDoubleSpinBox),
      lr_(new QDoubleSpinBox),
      all_gpus_(new QCheckBox),
      options_(new FinetuneOptionsForm),
      run_on_(new RunOnForm),
      start_(new QPushButton(tr("Start finetune"))),
      cancel_(new QPushButton(tr("Cancel"))),
      errors_(new QLabel),
      stats_(new QLabel),
      plot_(new QCustomPlot) {
  quant_->addItem(tr("full precision"), QString());
  add_quant_method_items(quant_);
  const FinetuneRequest d;  // the defaults: the request's (train/train_config.h), as the CLI's
  quant_->setCurrentIndex(1);
  icq_->setChecked(d.icq);
  iec_->setChecked(d.lora.iec);
  group_->setRange(0, 4096);
  group_->setValue(static_cast<int>(d.quant_group));
  group_->setSpecialValueText(tr("per channel"));
  qa_lora_->setEnabled(false);
  qa_lora_->setToolTip(tr("lora_A over the sums of the INT base's groups: merges exactly into its zero points"));
  rank_->setRange(1, 1024);
  rank_->setValue(static_cast<int>(d.lora.rank));
  alpha_->setRange(0.01, 4096);
  alpha_->setValue(d.lora.alpha);
  steps_->setRange(1, 1000000);
  steps_->setValue(static_cast<int>(d.train.steps));
  batch_->setRange(1, 4096);
  batch_->setValue(static_cast<int>(d.train.batch));
  accum_->setRange(1, 4096);
  accum_->setValue(static_cast<int>(d.train.accum));
  lr_->setDecimals(6);
  lr_->setRange(1e-6, 1.0);
  lr_->setSingleStep(1e-4);
  lr_->setValue(d.train.lr);
  add_device_choices(device_);
  out_->setText(QDir::home().filePath("irqlora-finetune"));
  errors_->setStyleSheet("color: #b00020;");
  errors_->setWordWrap(true);
  cancel_->setEnabled(false);

  auto* form = new QFormLayout;
  form->addRow(tr("Model"), model_label_);
  form->addRow(tr("Alpaca data"), with_browse(data_, this, false));
  form->addRow(tr("Output folder"), with_browse(out_, this, true));
  form->addRow(tr("Base"), quant_);
  form->addRow(tr("Block / group"), group_);
  form->addRow(QString(), icq_);
  form->addRow(QString(), iec_);
  form->addRow(QString(), qa_lora_);
  form->addRow(tr("LoRA rank"), rank_);
  form->addRow(tr("LoRA alpha"), alpha_);
  form->addRow(tr("Steps"), steps_);
  form->addRow(tr("Batch"), batch_);
  form->addRow(tr("Accumulation"), accum_);
  form->addRow(tr("Learning rate"), lr_);
  form->addRow(tr("Device"), device_);
  form->addRow(QString(), all_gpus_);
  form->addRow(tr("Run on"), run_on_);
  form->addRow(options_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(start_);
  buttons->addWidget(cancel_);
  form->addRow(buttons);
  form->addRow(errors_);
  form->addRow(stats_);
  auto* left = new QWidget;
  left->setLayout(form);
  left->setMaximumWidth(460);

  plot_->addGraph();
  plot_->graph(0)->setName(tr("loss"));
  plot_->graph(0)->setPen(QPen(QColor(31, 119, 180), 2));
  plot_->addGraph(plot_->xAxis, plot_->yAxis2);
  plot_->graph(1)->setName(tr("learning rate"));
  plot_->graph(1)->setPen(QPen(QColor(255, 127, 14), 1, Qt::DashLine));
  plot_->xAxis->setLabel(tr("step"));
  plot_->yAxis->setLabel(tr("loss"));
  plot_->yAxis2->setLabel(tr("learning rate"));
  plot_->yAxis2->setVisible(true);
  plot_->legend->setVisible(true);
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Training loss (live)"), QFont("sans", 11, QFont::Bold)));
  make_interactive(plot_);

  auto* split = new QSplitter;
  // The form scrolls rather than squeezing its rows when "More options" is open.
  auto* scroll = new QScrollArea;
  scroll->setWidget(left);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  const int form_width = left->maximumWidth() + scroll->verticalScrollBar()->sizeHint().width() + 4;
  scroll->setMinimumWidth(form_width);  // the form whole, its scroll bar beside it
  scroll->setMaximumWidth(form_width);
  split->addWidget(scroll);
  split->addWidget(plot_);
  split->setStretchFactor(1, 1);
  auto* outer = new QHBoxLayout(this);
  outer->addWidget(split);

  connect(icq_, &QCheckBox::toggled, this, [] {});
  connect(quant_, &QComboBox::currentIndexChanged, this, [this] {
    const QString q = quant_->currentData().toString();
    icq_->setEnabled(!q.isEmpty());
    group_->setEnabled(!q.isEmpty());
    qa_lora_->setEnabled(q.startsWith("int"));
    if (!q.startsWith("int")) qa_lora_->setChecked(false);
  });
  all_gpus_->setToolTip(tr("data parallel: one rank per GPU (NCCL), batch per rank, through the irqlora CLI on this machine"));
  set_gpu_count(cuda_device_count());
  connect(start_, &QPushButton::clicked, this, [this] { start(); });
  connect(cancel_, &QPushButton::clicked, this, [this] { cancel(); });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &FinetuneView::on_done);
}

FinetuneView::~FinetuneView() {
  cancel();
  wait();
}

void FinetuneView::set_gpu_count(int n) {
  gpu_count_ = n;
  all_gpus_->setText(tr("all %1 GPUs (data parallel)").arg(n));
  all_gpus_->setVisible(n > 1);
  if (n <= 1) all_gpus_->setChecked(false);
}

void FinetuneView::set_model_dir(const QString& dir) {
  model_dir_ = dir;
  model_label_->setText(dir.isEmpty() ? tr("(no model)") : dir);
}

FinetuneRequest FinetuneView::request() const {
  FinetuneRequest r;
  r.model_dir = model_dir_.toStdString();
  r.data_file = data_->text().trimmed().toStdString();
  r.out_dir = out_->text().trimmed().toStdString();
  r.db_path = db_path_.toStdString();
  r.quant = quant_->currentData().toString().toStdString();
  r.icq = icq_->isChecked();
  r.lora.iec = iec_->isChecked();
  r.quant_group = group_->value();
  r.qa_lora = qa_lora_->isChecked();
  r.lora.rank = rank_->value();
  r.lora.alpha = alpha_->value();
  r.train.steps = steps_->value();
  r.train.batch = batch_->value();
  r.train.accum = accum_->value();
  r.train.lr = lr_->value();
  r.device = device_->currentData().toString().toStdString();
  r.nproc = all_gpus_->isChecked() && gpu_count_ > 1 ? gpu_count_ : 1;
  options_->apply_to(&r);
  r.front_end = "workbench";
  return r;
}

QString FinetuneView::message() const { return errors_->text().isEmpty() ? stats_->text() : errors_->text(); }

bool FinetuneView::start() {
  if (running()) return false;
  const auto req = request();
  auto remote = run_on_->remote("finetune", finetune_cli_args(req), req.model_dir.string(), req.db_path.string());
  if (!remote && req.nproc > 1)  // ranks are processes: through the CLI here
    remote = run_on_->local("finetune", finetune_cli_args(req), req.model_dir.string(), req.db_path.string());
  const bool over_ssh = remote && !remote->launcher.empty();  // paths are the host's: its CLI checks them
  if (const auto problems = validate(req); !problems.empty() && !over_ssh) {
    errors_->setText(problems_text(problems));
    return false;
  }
  errors_->clear();
  if (remote) run_on_->remember();
  points_.clear();
  plot_->graph(0)->data()->clear();
  plot_->graph(1)->data()->clear();
  plot_->replot();
  token_ = std::make_shared<CancelToken>();
  start_->setEnabled(false);
  cancel_->setEnabled(true);
  const QString title = tr("finetune %1%2, %3 steps")
                            .arg(req.quant.empty() ? tr("fp") : QString::fromStdString(req.quant).toUpper(),
                                 req.lora.iec ? tr(" + IEC-LoRA") : tr(" + LoRA"))
                            .arg(req.train.steps) +
                        (req.nproc > 1 ? tr(", %1 ranks").arg(req.nproc) : QString());
  auto token = token_;
  job_ = jobs_ ? jobs_->add(title, [token] { token->cancel(); }) : 0;
  Q_EMIT log(tr("started %1 on %2%3")
                 .arg(title, QString::fromStdString(req.device),
                      remote ? tr(" of %1 (irqlora CLI)").arg(QString::fromStdString(remote->host)) : QString()));
  QPointer<FinetuneView> self(this);
  if (remote) {
    // The CLI's metrics events become the same points as an in-process run's.
    watcher_.setFuture(run_in_worker([r = *remote, steps = req.train.steps, token, self] {
      run_remote(r, nullptr, token.get(), [self, steps](int64_t step, const std::map<std::string, double>& v) {
        const auto point = FinetunePoint::from_values(step, steps, v);
        if (!point) return;  // a held-out evaluation's row
        const FinetunePoint p = *point;
        if (self) QMetaObject::invokeMethod(self.data(), [self, p] { if (self) self->on_point(p); }, Qt::QueuedConnection);
      });
    }));
    return true;
  }
  watcher_.setFuture(run_in_worker([req, token, self] {
    FinetuneEvents events;
    events.on_step = [self](const FinetunePoint& p) {
      if (self) QMetaObject::invokeMethod(self.data(), [self, p] { if (self) self->on_point(p); }, Qt::QueuedConnection);
    };
    events.run.on_message = [self](const std::string& line) {  // memory plan, held-out losses, resume: to the log
      const QString text = QString::fromStdString(line);
      if (self) QMetaObject::invokeMethod(self.data(), [self, text] { if (self) Q_EMIT self->log(text); }, Qt::QueuedConnection);
    };
    run_finetune(req, events, token.get());
  }));
  return true;
}

void FinetuneView::cancel() {
  if (token_) token_->cancel();
}

void FinetuneView::on_point(const FinetunePoint& p) {
  points_.push_back(p);
  plot_->graph(0)->addData(static_cast<double>(p.step), p.loss);
  plot_->graph(1)->addData(static_cast<double>(p.step), p.lr);
  plot_->xAxis->setRange(0, static_cast<double>(std::max<int64_t>(p.steps, 1)));
  plot_->graph(0)->rescaleValueAxis(false, true);
  plot_->graph(1)->rescaleValueAxis(false, true);
  plot_->replot(QCustomPlot::rpQueuedReplot);
  QStringList ranks;
  for (double t : p.rank_tokens_per_second) ranks << QString::number(t, 'f', 0);
  stats_->setText(tr("step %1/%2  loss %3  lr %4  %5 tokens/s  %6 MiB%7")
                      .arg(p.step)
                      .arg(p.steps)
                      .arg(p.loss, 0, 'f', 4)
                      .arg(p.lr, 0, 'e', 2)
                      .arg(p.tokens_per_second, 0, 'f', 0)
                      .arg(p.memory_mb, 0, 'f', 0)
                      .arg(ranks.isEmpty() ? QString() : tr("\n%1 ranks: %2 tokens/s").arg(ranks.size()).arg(ranks.join(" / "))));
  if (jobs_) jobs_->progress(job_, p.step, p.steps, tr("step %1/%2, loss %3").arg(p.step).arg(p.steps).arg(p.loss, 0, 'f', 4));
}

void FinetuneView::on_done() {
  QCoreApplication::sendPostedEvents(this);  // the last steps' points first
  const QString error = watcher_.result();
  start_->setEnabled(true);
  cancel_->setEnabled(false);
  const bool ok = error.isEmpty();
  QString text;
  if (ok && !points_.empty())
    text = tr("finished: loss %1 -> %2, adapter in %3/adapter")
               .arg(points_.front().loss, 0, 'f', 4)
               .arg(points_.back().loss, 0, 'f', 4)
               .arg(out_->text());
  else
    text = ok ? tr("finished") : error;
  if (!ok) errors_->setText(error);
  if (jobs_) jobs_->finish(job_, text);
  Q_EMIT log(tr("finetune %1").arg(text));
  Q_EMIT finished(ok, text);
}

}  // namespace irq::ui
