// Quantize form, whole-model job and per-layer results.
#include "quantize_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QPointer>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "common/error.h"
#include "gptq_form.h"
#include "form_helpers.h"
#include "jobs_panel.h"
#include "plot_tools.h"
#include "run_on_form.h"
#include "jobs/remote_job.h"

namespace irq::ui {

namespace {


QTableWidgetItem* number(double v, int decimals) {
  auto* item = new QTableWidgetItem;
  item->setData(Qt::DisplayRole, QString::number(v, 'f', decimals).toDouble());
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

}  // namespace

QuantizeView::QuantizeView(JobsPanel* jobs, QWidget* parent)
    : QWidget(parent),
      jobs_(jobs),
      method_(new QComboBox),
      group_(new QSpinBox),
      n_(new QSpinBox),
      icq_(new QCheckBox(tr("ICQ: maximise the code entropy of each block"))),
      gptq_(new GptqForm),
      lambda_(new QDoubleSpinBox),
      run_on_(new RunOnForm),
      start_(new QPushButton(tr("Quantize model"))),
      errors_(new QLabel),
      summary_(new QLabel),
      table_(new QTableWidget(0, 8)),
      plot_(new QCustomPlot) {
  start_->setObjectName("quantize.start");  // names for out-of-process tests (widget_probe.h)
  summary_->setObjectName("quantize.summary");
  errors_->setObjectName("quantize.errors");
  add_quant_method_items(method_);
  group_->setRange(0, 4096);
  group_->setSpecialValueText(tr("per channel"));  // 0: INT only
  group_->setValue(64);
  n_->setRange(1, 1000);
  n_->setValue(100);
  lambda_->setRange(0.001, 1.0);
  lambda_->setDecimals(3);
  lambda_->setSingleStep(0.01);
  lambda_->setValue(0.1);
  icq_->setChecked(true);
  errors_->setStyleSheet("color: #b00020;");
  errors_->setWordWrap(true);
  summary_->setWordWrap(true);
  auto* form = new QFormLayout;
  form->addRow(tr("Method"), method_);
  form->addRow(tr("Block / group size"), group_);
  form->addRow(QString(), icq_);
  form->addRow(tr("ICQ lambda (search span)"), lambda_);
  form->addRow(tr("ICQ n (2n+1 candidates)"), n_);
  form->addRow(gptq_);
  form->addRow(tr("Run on"), run_on_);
  form->addRow(start_);
  form->addRow(errors_);
  form->addRow(summary_);
  auto* left = new QWidget;
  left->setLayout(form);
  left->setMaximumWidth(420);

  table_->setHorizontalHeaderLabels({tr("Layer"), tr("Weights"), tr("Entropy plain"), tr("Entropy ICQ"), tr("Gain"), tr("MSE"),
                                     tr("SQNR dB"), tr("Bits/weight")});
  table_->setSortingEnabled(true);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Mean code entropy per layer"), QFont("sans", 10, QFont::Bold)));
  plot_->xAxis->setLabel(tr("layer (model order)"));
  plot_->yAxis->setLabel(tr("entropy (bits)"));
  plot_->legend->setVisible(true);
  make_interactive(plot_);
  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(table_);
  right->addWidget(plot_);
  auto* split = new QSplitter;
  split->addWidget(left);
  split->addWidget(right);
  split->setStretchFactor(1, 1);
  auto* outer = new QHBoxLayout(this);
  outer->addWidget(split);

  connect(method_, &QComboBox::currentIndexChanged, this, [this] {
    const QuantSettings s = QuantSettings::for_method(method_->currentData().toString().toStdString());
    n_->setValue(s.n);  // the method's defaults
    group_->setValue(static_cast<int>(s.block_size));
  });
  connect(start_, &QPushButton::clicked, this, [this] { start(); });
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { Q_EMIT layer_chosen(table_->item(row, 0)->text()); });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &QuantizeView::on_done);
}

QuantizeView::~QuantizeView() { wait(); }

QuantSettings QuantizeView::settings() const {
  QuantSettings s = QuantSettings::for_method(method_->currentData().toString().toStdString());
  s.block_size = group_->value();
  s.icq = icq_->isChecked();
  s.lambda = lambda_->value();
  s.n = n_->value();
  s.gptq = gptq_->settings();
  s.validate();
  return s;
}

QString QuantizeView::message() const { return errors_->text().isEmpty() ? summary_->text() : errors_->text(); }

bool QuantizeView::start() {
  if (running()) return false;
  QuantizeRequest r;
  try {
    r.settings = settings();
  } catch (const std::exception& e) {
    errors_->setText(QString::fromStdString(e.what()));
    return false;
  }
  if (model_dir_.isEmpty()) {
    errors_->setText(tr("open a model first"));
    return false;
  }
  errors_->clear();
  r.model_dir = model_dir_.toStdString();
  r.db_path = db_path_.toStdString();
  // The Weights view quantizes one layer on its own: GPTQ needs the whole
  // model's calibration pass, so it shows the same format without it.
  QuantSettings shown = r.settings;
  shown.gptq = GptqSettings();
  Q_EMIT settings_changed(shown);
  start_->setEnabled(false);
  auto token = std::make_shared<CancelToken>();
  job_ = jobs_ ? jobs_->add(tr("quantize %1").arg(method_->currentText()), [token] { token->cancel(); }) : 0;
  auto progress = std::make_shared<JobProgress>(jobs_, job_);
  if (const auto remote = run_on_->remote("quantize", quantize_cli_args(r), r.model_dir.string(), r.db_path.string())) {
    // The CLI there streams each layer's figures; the table, plot and heatmap show them as a local pass's.
    run_on_->remember();
    watcher_.setFuture(run_in_worker([this, rr = *remote, settings = r.settings, token, progress] {
      const auto out = run_remote(rr, progress.get(), token.get());
      const auto wps = out.last_metrics.find("weights_per_second");
      outcome_.stats = stats_from_rows(out.layers, settings, wps == out.last_metrics.end() ? 0.0 : wps->second);
      outcome_.run_id = out.run_id;
    }));
    return true;
  }
  watcher_.setFuture(run_in_worker([this, r, token, progress] { outcome_ = run_quantize(r, progress.get(), token.get()); }));
  return true;
}

void QuantizeView::on_done() {
  QCoreApplication::sendPostedEvents(this);
  start_->setEnabled(true);
  const QString error = watcher_.result();
  if (show_job_error(error, errors_, jobs_, job_)) {
    Q_EMIT finished(false, error);
    return;
  }
  const auto& st = outcome_.stats;
  table_->setSortingEnabled(false);
  table_->setRowCount(static_cast<int>(st.layers.size()));
  plot_->clearPlottables();
  auto* plain = plot_->addGraph();
  auto* icq = plot_->addGraph();
  plain->setName(tr("plain"));
  icq->setName(tr("ICQ"));
  plain->setPen(QPen(QColor(127, 127, 127), 2, Qt::DashLine));
  icq->setPen(QPen(QColor(214, 39, 40), 2));
  for (int row = 0; row < static_cast<int>(st.layers.size()); ++row) {
    const auto& l = st.layers[static_cast<size_t>(row)];
    table_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(l.name)));
    auto* n = new QTableWidgetItem;
    n->setData(Qt::DisplayRole, static_cast<qlonglong>(l.numel));
    table_->setItem(row, 1, n);
    table_->setItem(row, 2, number(l.mean_entropy_plain, 4));
    table_->setItem(row, 3, number(l.mean_entropy, 4));
    table_->setItem(row, 4, number(l.entropy_gain(), 4));
    auto* mse = new QTableWidgetItem;
    mse->setData(Qt::DisplayRole, l.mse_total);
    table_->setItem(row, 5, mse);
    table_->setItem(row, 6, number(l.sqnr_db, 2));
    table_->setItem(row, 7, number(l.bits_per_weight, 3));
    plain->addData(row, l.mean_entropy_plain);
    icq->addData(row, l.mean_entropy);
  }
  table_->setSortingEnabled(true);
  table_->resizeColumnsToContents();
  plot_->rescaleAxes();
  plot_->replot();
  const QString text = tr("%1 layers in %2 s: entropy %3 -> %4 bits, SQNR %5 dB, %6 bits/weight%7")
                           .arg(st.layers.size())
                           .arg(st.seconds, 0, 'f', 2)
                           .arg(st.mean_entropy_plain, 0, 'f', 4)
                           .arg(st.mean_entropy, 0, 'f', 4)
                           .arg(st.sqnr_db, 0, 'f', 2)
                           .arg(st.bits_per_weight, 0, 'f', 3)
                           .arg(outcome_.run_id >= 0 ? tr(" (run %1)").arg(outcome_.run_id) : QString());
  summary_->setText(text);
  if (jobs_) jobs_->finish(job_, text);
  Q_EMIT log(tr("quantized: %1").arg(text));
  Q_EMIT finished(true, text);
}

}  // namespace irq::ui
