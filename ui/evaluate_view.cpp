// MMLU form, job and per-category bars.
#include "evaluate_view.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>

#include <qcustomplot.h>

#include "form_helpers.h"
#include "jobs_panel.h"
#include "plot_tools.h"

namespace irq::ui {

EvaluateView::EvaluateView(JobsPanel* jobs, QWidget* parent)
    : QWidget(parent),
      jobs_(jobs),
      data_(new QLineEdit),
      subjects_(new QLineEdit),
      adapter_(new QLineEdit),
      shots_(new QSpinBox),
      quant_(new QComboBox),
      device_(new QComboBox),
      start_(new QPushButton(tr("Run MMLU"))),
      errors_(new QLabel),
      summary_(new QLabel),
      plot_(new QCustomPlot) {
  data_->setPlaceholderText(tr("folder with dev/ and test/ CSVs (hendrycks layout)"));
  subjects_->setPlaceholderText(tr("all subjects; or e.g. anatomy,astronomy"));
  adapter_->setPlaceholderText(tr("optional: adapter folder from a finetune"));
  shots_->setRange(0, 5);
  shots_->setValue(5);
  quant_->addItem(tr("as stored"), QString());
  for (const char* m : {"nf4", "int4", "int3", "int2", "int8"}) quant_->addItem(tr("ICQ-%1").arg(QString(m).toUpper()), QString(m));
  add_device_choices(device_);
  errors_->setStyleSheet("color: #b00020;");
  errors_->setWordWrap(true);
  summary_->setWordWrap(true);
  auto* form = new QFormLayout;
  form->addRow(tr("MMLU data"), data_);
  form->addRow(tr("Subjects"), subjects_);
  form->addRow(tr("Shots"), shots_);
  form->addRow(tr("Base"), quant_);
  form->addRow(tr("Adapter"), adapter_);
  form->addRow(tr("Device"), device_);
  form->addRow(start_);
  form->addRow(errors_);
  form->addRow(summary_);
  auto* left = new QWidget;
  left->setLayout(form);
  left->setMaximumWidth(440);
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("MMLU accuracy per category"), QFont("sans", 10, QFont::Bold)));
  plot_->yAxis->setLabel(tr("accuracy %"));
  plot_->legend->setVisible(true);
  make_interactive(plot_);
  auto* split = new QSplitter;
  split->addWidget(left);
  split->addWidget(plot_);
  split->setStretchFactor(1, 1);
  auto* outer = new QHBoxLayout(this);
  outer->addWidget(split);
  connect(start_, &QPushButton::clicked, this, [this] { start(); });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &EvaluateView::on_done);
}

EvaluateView::~EvaluateView() { wait(); }

MmluRequest EvaluateView::request() const {
  MmluRequest r;
  r.model_dir = model_dir_.toStdString();
  r.data_dir = data_->text().trimmed().toStdString();
  r.adapter_dir = adapter_->text().trimmed().toStdString();
  r.db_path = db_path_.toStdString();
  r.quant = quant_->currentData().toString().toStdString();
  r.shots = shots_->value();
  r.device = device_->currentData().toString().toStdString();
  for (const QString& s : subjects_->text().split(',', Qt::SkipEmptyParts)) r.subjects.push_back(s.trimmed().toStdString());
  return r;
}

QString EvaluateView::message() const { return errors_->text().isEmpty() ? summary_->text() : errors_->text(); }

bool EvaluateView::start() {
  if (running()) return false;
  const auto r = request();
  if (const auto problems = validate(r); !problems.empty()) {
    errors_->setText(problems_text(problems));
    return false;
  }
  errors_->clear();
  start_->setEnabled(false);
  auto token = std::make_shared<CancelToken>();
  job_ = jobs_ ? jobs_->add(tr("MMLU %1-shot").arg(r.shots), [token] { token->cancel(); }) : 0;
  auto progress = std::make_shared<JobProgress>(jobs_, job_);
  watcher_.setFuture(run_in_worker([this, r, token, progress] { outcome_ = run_mmlu(r, progress.get(), token.get()); }));
  return true;
}

void EvaluateView::on_done() {
  QCoreApplication::sendPostedEvents(this);
  start_->setEnabled(true);
  const QString error = watcher_.result();
  if (!error.isEmpty()) {
    errors_->setText(error);
    if (jobs_) jobs_->finish(job_, error);
    Q_EMIT finished(false, error);
    return;
  }
  plot_->clearPlottables();
  auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
  bars->setName(tr("accuracy"));
  bars->setPen(Qt::NoPen);
  bars->setBrush(QColor(31, 119, 180));
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  int i = 0;
  for (const auto& [cat, acc] : outcome_.categories) {
    ticker->addTick(i, QString::fromStdString(cat).replace(" (", "\n("));
    bars->addData(i++, 100.0 * acc.accuracy());
  }
  ticker->addTick(i, tr("overall"));
  bars->addData(i, 100.0 * outcome_.overall.accuracy());
  plot_->xAxis->setTicker(ticker);
  plot_->xAxis->setRange(-0.6, i + 0.6);
  plot_->yAxis->setRange(0, 100);
  auto* chance = new QCPItemStraightLine(plot_);
  chance->point1->setCoords(0, 25);
  chance->point2->setCoords(1, 25);
  chance->setPen(QPen(Qt::gray, 1, Qt::DashLine));
  plot_->replot();
  const QString text = tr("%1/%2 correct (%3%) in %4 s%5")
                           .arg(outcome_.overall.correct)
                           .arg(outcome_.overall.total)
                           .arg(100.0 * outcome_.overall.accuracy(), 0, 'f', 2)
                           .arg(outcome_.seconds, 0, 'f', 1)
                           .arg(outcome_.run_id >= 0 ? tr(" (run %1)").arg(outcome_.run_id) : QString());
  summary_->setText(text);
  if (jobs_) jobs_->finish(job_, text);
  Q_EMIT log(tr("MMLU: %1").arg(text));
  Q_EMIT finished(true, text);
}

}  // namespace irq::ui
