// The Export dialog.
#include "export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>

#include "form_helpers.h"
#include "jobs_panel.h"
#include "run_on_form.h"
#include "export/format_exporter.h"
#include "jobs/remote_job.h"

namespace irq::ui {

ExportDialog::ExportDialog(const QString& model_dir, const QString& db_path, JobsPanel* jobs, QWidget* parent)
    : QDialog(parent),
      model_dir_(model_dir),
      db_path_(db_path),
      jobs_(jobs),
      format_(new QComboBox),
      quant_(new QComboBox),
      gguf_(new QComboBox),
      dtype_(new QComboBox),
      out_(new QLineEdit),
      adapter_(new QLineEdit),
      group_(new QSpinBox),
      icq_(new QCheckBox(tr("ICQ"))),
      force_(new QCheckBox(tr("Overwrite an existing output"))),
      export_(new QPushButton(tr("Export"))),
      run_on_(new RunOnForm),
      status_(new QLabel) {
  setWindowTitle(tr("Export %1").arg(model_dir));
  format_->addItem(tr("irqlora-quant checkpoint (codes, absmax, tau)"), "irq");
  format_->addItem(tr("peft LoRA adapter (IEC folded)"), "peft");
  format_->addItem(tr("merged full-precision HF checkpoint"), "merged");
  format_->addItem(tr("GGUF for llama.cpp"), "gguf");
  for (const auto& name : format_exporter_names())  // the formats' own exporters (NF4: bitsandbytes)
    format_->addItem(QString::fromStdString(find_format_exporter(name)->description), QString::fromStdString(name));
  quant_->addItem(tr("as loaded"), QString());
  add_quant_method_items(quant_);
  for (const char* t : {"f16", "f32", "q8_0", "q4_1"}) gguf_->addItem(QString(t).toUpper(), QString(t));
  dtype_->addItem(tr("as the checkpoint stores it"), QString("auto"));
  for (const char* t : {"bfloat16", "float16", "float32"}) dtype_->addItem(t, QString(t));
  group_->setRange(2, 4096);
  group_->setValue(64);
  icq_->setChecked(true);
  adapter_->setPlaceholderText(tr("adapter folder from a finetune (peft: required)"));
  status_->setWordWrap(true);
  auto browse = [this](QLineEdit* edit, bool file) {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    auto* b = new QPushButton(tr("Browse..."));
    h->addWidget(edit, 1);
    h->addWidget(b);
    connect(b, &QPushButton::clicked, this, [this, edit, file] {
      const QString f = file ? QFileDialog::getSaveFileName(this, tr("Output")) : QFileDialog::getExistingDirectory(this, tr("Folder"));
      if (!f.isEmpty()) edit->setText(f);
    });
    return w;
  };
  auto* form = new QFormLayout(this);
  form->addRow(tr("Format"), format_);
  form->addRow(tr("Output"), browse(out_, true));
  form->addRow(tr("Adapter"), browse(adapter_, false));
  form->addRow(tr("Quantize base"), quant_);
  form->addRow(tr("Block / group"), group_);
  form->addRow(QString(), icq_);
  form->addRow(tr("GGUF type"), gguf_);
  form->addRow(tr("Tensor dtype"), dtype_);
  form->addRow(QString(), force_);
  form->addRow(tr("Run on"), run_on_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  buttons->addButton(export_, QDialogButtonBox::ActionRole);
  form->addRow(status_);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(export_, &QPushButton::clicked, this, [this] { start(); });
  connect(format_, &QComboBox::currentIndexChanged, this, [this] { update_fields(); });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &ExportDialog::on_done);
  update_fields();
}

ExportDialog::~ExportDialog() { watcher_.waitForFinished(); }

void ExportDialog::update_fields() {
  const QString f = format_->currentData().toString();
  gguf_->setEnabled(f == "gguf");
  // A format's exporter writes the quantized base in another library's layout, no adapter.
  const bool format_exporter = find_format_exporter(f.toStdString()) != nullptr;
  dtype_->setEnabled(f == "merged" || format_exporter);
  adapter_->setEnabled(f != "irq" && !format_exporter);
}

ExportRequest ExportDialog::request() const {
  ExportRequest r;
  r.model_dir = model_dir_.toStdString();
  r.db_path = db_path_.toStdString();
  r.format = format_->currentData().toString().toStdString();
  r.out = out_->text().trimmed().toStdString();
  if (adapter_->isEnabled()) r.adapter_dir = adapter_->text().trimmed().toStdString();
  r.quant = quant_->currentData().toString().toStdString();
  r.quant_group = group_->value();
  r.quant_icq = icq_->isChecked();
  r.gguf_type = gguf_->currentData().toString().toStdString();
  r.out_dtype = dtype_->currentData().toString().toStdString();
  r.force = force_->isChecked();
  return r;
}

QString ExportDialog::message() const { return status_->text(); }

bool ExportDialog::start() {
  if (running()) return false;
  const auto r = request();
  QString problem;
  if (model_dir_.isEmpty()) problem = tr("open a model first");
  else if (r.out.empty()) problem = tr("choose an output path");
  else if (r.format == "peft" && r.adapter_dir.empty()) problem = tr("a peft export needs the adapter folder of a finetune");
  if (!problem.isEmpty()) {
    status_->setText(problem);
    return false;
  }
  export_->setEnabled(false);
  status_->setText(tr("exporting..."));
  auto token = std::make_shared<CancelToken>();
  job_ = jobs_ ? jobs_->add(tr("export %1").arg(QString::fromStdString(r.format)), [token] { token->cancel(); }) : 0;
  auto progress = std::make_shared<JobProgress>(jobs_, job_);
  if (auto remote = run_on_->remote("export", export_cli_args(r), r.model_dir.string(), r.db_path.string())) {
    // the output is written there; the record here keeps it as HOST:PATH
    run_on_->remember();
    host_ = QString::fromStdString(remote->host);
    watcher_.setFuture(run_in_worker([rr = *remote, token, progress] { run_remote(rr, progress.get(), token.get()); }));
    return true;
  }
  host_.clear();
  watcher_.setFuture(run_in_worker([r, token, progress] { run_export(r, progress.get(), token.get()); }));
  return true;
}

void ExportDialog::on_done() {
  QCoreApplication::sendPostedEvents(this);
  export_->setEnabled(true);
  const QString error = watcher_.result();
  const QString where = host_.isEmpty() ? out_->text() : tr("%1:%2").arg(host_, out_->text());
  const QString text = error.isEmpty() ? tr("exported to %1").arg(where) : error;
  status_->setText(text);
  if (jobs_) jobs_->finish(job_, text);
  Q_EMIT finished(error.isEmpty(), text);
}

}  // namespace irq::ui
