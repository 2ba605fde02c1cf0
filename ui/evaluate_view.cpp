// Evaluate tab: shared model choices, the MMLU and task forms, their jobs and bars.
#include "evaluate_view.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QVBoxLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>

#include <qcustomplot.h>

#include "form_helpers.h"
#include "jobs_panel.h"
#include "run_on_form.h"
#include "jobs/remote_job.h"
#include "perplexity_form.h"
#include "plot_tools.h"
#include "tasks_form.h"

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
      run_on_(new RunOnForm),
      start_(new QPushButton(tr("Run MMLU"))),
      errors_(new QLabel),
      summary_(new QLabel),
      plot_(new QCustomPlot),
      title_(nullptr),
      tasks_form_(new TasksForm),
      ppl_form_(new PerplexityForm) {
  data_->setPlaceholderText(tr("folder with dev/ and test/ CSVs (hendrycks layout)"));
  subjects_->setPlaceholderText(tr("all subjects; or e.g. anatomy,astronomy"));
  adapter_->setPlaceholderText(tr("optional: adapter folder from a finetune"));
  shots_->setRange(0, 5);
  shots_->setValue(5);
  quant_->addItem(tr("as stored"), QString());
  add_quant_method_items(quant_, tr("ICQ-%1"));
  add_device_choices(device_);
  errors_->setStyleSheet("color: #b00020;");
  errors_->setWordWrap(true);
  summary_->setWordWrap(true);
  auto* shared = new QFormLayout;
  shared->addRow(tr("Base"), quant_);
  shared->addRow(tr("Adapter"), adapter_);
  shared->addRow(tr("Device"), device_);
  auto* mmlu = new QGroupBox(tr("MMLU (hendrycks prompts)"));
  auto* mmlu_form = new QFormLayout(mmlu);
  mmlu_form->addRow(tr("MMLU data"), data_);
  mmlu_form->addRow(tr("Subjects"), subjects_);
  mmlu_form->addRow(tr("Shots"), shots_);
  mmlu_form->addRow(tr("Run on"), run_on_);
  mmlu_form->addRow(start_);
  auto* form = new QVBoxLayout;
  form->addLayout(shared);
  form->addWidget(mmlu);
  form->addWidget(tasks_form_);
  form->addWidget(ppl_form_);
  form->addWidget(errors_);
  form->addWidget(summary_);
  form->addStretch(1);
  auto* column = new QWidget;
  column->setLayout(form);
  // The three forms are taller than a 1280x800 window leaves: they scroll.
  auto* left = new QScrollArea;
  left->setWidget(column);
  left->setWidgetResizable(true);
  left->setFrameShape(QFrame::NoFrame);
  left->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  left->setMinimumWidth(column->sizeHint().width() + 20);
  left->setMaximumWidth(460);
  plot_->plotLayout()->insertRow(0);
  title_ = new QCPTextElement(plot_, tr("accuracy"), QFont("sans", 10, QFont::Bold));
  plot_->plotLayout()->addElement(0, 0, title_);
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
  connect(tasks_form_->start_button(), &QPushButton::clicked, this, [this] { start_tasks(); });
  connect(ppl_form_->start_button(), &QPushButton::clicked, this, [this] { start_perplexity(); });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &EvaluateView::on_done);
}

EvaluateView::~EvaluateView() { wait(); }

MmluRequest EvaluateView::request() const {
  MmluRequest r;
  r.model = model_spec();
  r.data_dir = data_->text().trimmed().toStdString();
  r.db_path = db_path_.toStdString();
  r.shots = shots_->value();
  for (const QString& s : subjects_->text().split(',', Qt::SkipEmptyParts)) r.subjects.push_back(s.trimmed().toStdString());
  return r;
}

EvalModelSpec EvaluateView::model_spec() const {
  EvalModelSpec s;
  s.model_dir = model_dir_.toStdString();
  s.adapter_dir = adapter_->text().trimmed().toStdString();
  s.quant = quant_->currentData().toString().toStdString();
  s.device = device_->currentData().toString().toStdString();
  return s;
}

QString EvaluateView::message() const { return errors_->text().isEmpty() ? summary_->text() : errors_->text(); }

TasksRequest EvaluateView::tasks_request() const {
  TasksRequest r;
  r.model = model_spec();
  r.db_path = db_path_.toStdString();
  r.front_end = "workbench";
  tasks_form_->fill(r);
  return r;
}

PerplexityRequest EvaluateView::perplexity_request() const {
  PerplexityRequest r;
  r.model = model_spec();
  r.db_path = db_path_.toStdString();
  r.front_end = "workbench";
  ppl_form_->fill(r);
  return r;
}

void EvaluateView::set_buttons_enabled(bool on) {
  start_->setEnabled(on);
  tasks_form_->start_button()->setEnabled(on);
  ppl_form_->start_button()->setEnabled(on);
}

bool EvaluateView::launch(Running kind, const std::vector<std::string>& problems, const QString& title,
                          std::function<void(ProgressSink*, const CancelToken*)> body) {
  if (!problems.empty()) {  // refused, with every reason
    errors_->setText(problems_text(problems));
    return false;
  }
  running_ = kind;
  errors_->clear();
  set_buttons_enabled(false);
  auto token = std::make_shared<CancelToken>();
  job_ = jobs_ ? jobs_->add(title, [token] { token->cancel(); }) : 0;
  auto progress = std::make_shared<JobProgress>(jobs_, job_);
  watcher_.setFuture(run_in_worker([body, token, progress] { body(progress.get(), token.get()); }));
  return true;
}

bool EvaluateView::launch_through(Running kind, const RemoteRequest& remote, std::vector<std::string> problems,
                                  const std::vector<std::string>& local_problems, const QString& title,
                                  std::function<void(const RemoteOutcome&)> take) {
  if (remote.launcher.empty()) problems.insert(problems.end(), local_problems.begin(), local_problems.end());  // over ssh: the host's paths
  if (problems.empty()) run_on_->remember();
  return launch(kind, problems, tr("%1 on %2").arg(title, QString::fromStdString(remote.host)),
                [remote, take](ProgressSink* p, const CancelToken* c) { take(run_remote(remote, p, c)); });
}

bool EvaluateView::start() {
  if (running()) return false;
  const auto r = request();
  const auto title = tr("MMLU %1-shot").arg(r.shots);
  if (const auto remote = run_on_->remote("eval mmlu", mmlu_cli_args(r), r.model.model_dir.string(), r.db_path.string()))
    return launch_through(Running::kMmlu, *remote, {}, validate(r), title, [this](const RemoteOutcome& out) {
      outcome_ = mmlu_outcome(out.subjects);  // categories grouped here as a local run groups them
      outcome_.run_id = out.run_id;
    });
  return launch(Running::kMmlu, validate(r), title, [this, r](ProgressSink* p, const CancelToken* c) { outcome_ = run_mmlu(r, p, c); });
}

bool EvaluateView::start_tasks() {
  if (running()) return false;
  TasksRequest r = tasks_request();
  std::vector<std::string> problems;
  if (!tasks_form_->fill(r)) problems.push_back("tasks: check at least one task");
  const auto title = tr("zero-shot tasks (%1)").arg(r.tasks.size());
  if (const auto remote = run_on_->remote("eval tasks", tasks_cli_args(r), r.model.model_dir.string(), r.db_path.string()))
    return launch_through(Running::kTasks, *remote, problems, validate(r), title, [this](const RemoteOutcome& out) {
      tasks_outcome_ = irq::tasks_outcome(out.tasks);
      tasks_outcome_.run_id = out.run_id;
    });
  for (const auto& p : validate(r)) problems.push_back(p);
  return launch(Running::kTasks, problems, title, [this, r](ProgressSink* p, const CancelToken* c) { tasks_outcome_ = run_tasks(r, p, c); });
}

bool EvaluateView::start_perplexity() {
  if (running()) return false;
  const auto r = perplexity_request();
  const auto title = tr("perplexity of %1").arg(QString::fromStdString(r.text_file.filename().string()));
  if (const auto remote = run_on_->remote("eval ppl", perplexity_cli_args(r), r.model.model_dir.string(), r.db_path.string()))
    return launch_through(Running::kPerplexity, *remote, {}, validate(r), title, [this](const RemoteOutcome& out) {
      ppl_outcome_ = irq::perplexity_outcome(out.windows);
      ppl_outcome_.run_id = out.run_id;
    });
  return launch(Running::kPerplexity, validate(r), title,
                [this, r](ProgressSink* p, const CancelToken* c) { ppl_outcome_ = run_perplexity(r, p, c); });
}

void EvaluateView::on_done() {
  QCoreApplication::sendPostedEvents(this);
  set_buttons_enabled(true);
  const QString error = watcher_.result();
  if (show_job_error(error, errors_, jobs_, job_)) {
    Q_EMIT finished(false, error);
    return;
  }
  if (running_ == Running::kTasks) show_tasks();
  else if (running_ == Running::kPerplexity) show_perplexity();
  else show_mmlu();
}

void EvaluateView::show_perplexity() {
  const auto& r = ppl_outcome_;
  title_->setText(tr("perplexity along the text (%1 windows)").arg(r.windows));
  PerplexityForm::plot(plot_, r);
  const QString text = tr("perplexity %1 (%2 nats/token) over %3 tokens, %4 windows, %5 s%6")
                           .arg(r.perplexity, 0, 'f', 4)
                           .arg(r.nll, 0, 'f', 4)
                           .arg(r.tokens)
                           .arg(r.windows)
                           .arg(r.seconds, 0, 'f', 1)
                           .arg(r.run_id >= 0 ? tr(" (run %1)").arg(r.run_id) : QString());
  summary_->setText(text);
  if (jobs_) jobs_->finish(job_, text);
  Q_EMIT log(tr("perplexity: %1").arg(text));
  Q_EMIT finished(true, text);
}

void EvaluateView::show_mmlu() {
  plot_->clearPlottables();
  plot_->clearItems();
  plot_->xAxis->setLabel(QString());
  title_->setText(tr("MMLU accuracy per category"));
  plot_->yAxis->setLabel(tr("accuracy %"));
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

void EvaluateView::show_tasks() {
  const auto& r = tasks_outcome_.result;
  title_->setText(tr("zero-shot accuracy per task (lm-eval prompts)"));
  plot_->xAxis->setLabel(QString());
  TasksForm::plot(plot_, r);
  QStringList parts;
  for (const auto& task : r.order) parts << tr("%1 %2%").arg(QString::fromStdString(task)).arg(100 * r.scores.at(task).acc, 0, 'f', 1);
  const QString text = tr("%1 documents in %2 s: %3%4")
                           .arg(r.documents)
                           .arg(r.seconds, 0, 'f', 1)
                           .arg(parts.join(", "))
                           .arg(tasks_outcome_.run_id >= 0 ? tr(" (run %1)").arg(tasks_outcome_.run_id) : QString());
  summary_->setText(text);
  if (jobs_) jobs_->finish(job_, text);
  Q_EMIT log(tr("tasks: %1").arg(text));
  Q_EMIT finished(true, text);
}

}  // namespace irq::ui
