// Playground: prompt, sampling, two panes streaming continuations (playground_view.h).
#include "playground_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "form_helpers.h"
#include "jobs_panel.h"
#include "runs/runs_db.h"
#include "text/chat_template.h"

namespace irq::ui {

PlaygroundView::PlaygroundView(JobsPanel* jobs, QWidget* parent)
    : QWidget(parent),
      jobs_(jobs),
      prompt_(new QPlainTextEdit),
      max_tokens_(new QSpinBox),
      top_k_(new QSpinBox),
      seed_(new QSpinBox),
      temperature_(new QDoubleSpinBox),
      top_p_(new QDoubleSpinBox),
      device_(new QComboBox),
      compare_(new QCheckBox(tr("Compare with pane B"))),
      chat_(new QCheckBox(tr("Chat template"))),
      system_(new QLineEdit),
      start_(new QPushButton(tr("Generate"))),
      errors_(new QLabel),
      timer_(new QTimer(this)) {
  const GenerateOptions d;
  prompt_->setPlaceholderText(tr("Prompt (BOS is prepended)"));
  prompt_->setMaximumHeight(90);
  max_tokens_->setRange(0, 100000);
  max_tokens_->setValue(static_cast<int>(d.max_new_tokens));
  temperature_->setRange(0, 10);
  temperature_->setSingleStep(0.1);
  temperature_->setValue(d.temperature);
  temperature_->setToolTip(tr("0 = greedy"));
  top_k_->setRange(0, 1000000);
  top_k_->setValue(static_cast<int>(d.top_k));
  top_k_->setSpecialValueText(tr("off"));
  top_p_->setRange(0.01, 1.0);
  top_p_->setSingleStep(0.05);
  top_p_->setValue(d.top_p);
  seed_->setRange(0, 1 << 30);
  seed_->setValue(static_cast<int>(d.seed));
  seed_->setMinimumWidth(80);
  add_device_choices(device_);
  compare_->setChecked(true);
  system_->setPlaceholderText(tr("System message (optional)"));
  for (auto [w, name] : std::initializer_list<std::pair<QWidget*, const char*>>{
           {chat_, "playground.chat"}, {system_, "playground.system"}, {prompt_, "playground.prompt"}, {start_, "playground.generate"}})
    w->setObjectName(name);  // names for out-of-process tests (widget_probe.h)
  chat_->setEnabled(false);
  system_->setEnabled(false);
  errors_->setStyleSheet("color: #b00020;");
  errors_->setWordWrap(true);
  auto* sampling = new QHBoxLayout;
  for (auto [label, w] : std::initializer_list<std::pair<QString, QWidget*>>{{tr("New tokens"), max_tokens_},
                                                                             {tr("Temperature"), temperature_},
                                                                             {tr("Top-k"), top_k_},
                                                                             {tr("Top-p"), top_p_},
                                                                             {tr("Seed"), seed_},
                                                                             {tr("Device"), device_}}) {
    sampling->addWidget(new QLabel(label));
    sampling->addWidget(w);
  }
  sampling->addStretch(1);
  sampling->addWidget(compare_);
  sampling->addWidget(start_);
  auto* panes = new QHBoxLayout;
  panes->addWidget(make_pane(tr("Pane A"), &panes_[0]), 1);
  panes->addWidget(make_pane(tr("Pane B"), &panes_[1]), 1);
  auto* chat_row = new QHBoxLayout;
  chat_row->addWidget(chat_);
  chat_row->addWidget(system_, 1);
  auto* outer = new QVBoxLayout(this);
  outer->addLayout(chat_row);
  outer->addWidget(prompt_);
  outer->addLayout(sampling);
  outer->addWidget(errors_);
  outer->addLayout(panes, 1);
  panes_[1].base->setCurrentIndex(panes_[1].base->findData("nf4"));  // as stored vs ICQ-NF4, to start with
  timer_->setInterval(50);  // at most 20 updates a second
  connect(timer_, &QTimer::timeout, this, [this] { flush(); });
  connect(start_, &QPushButton::clicked, this, [this] { start(); });
  connect(chat_, &QCheckBox::toggled, this, [this](bool on) {
    system_->setEnabled(on);
    prompt_->setPlaceholderText(on ? tr("Your message (sent as the user's turn in the chat template)") : tr("Prompt (BOS is prepended)"));
  });
  connect(compare_, &QCheckBox::toggled, this, [this](bool on) {
    for (QWidget* w : {static_cast<QWidget*>(panes_[1].base), static_cast<QWidget*>(panes_[1].adapter)}) w->setEnabled(on);
  });
  connect(&watcher_, &QFutureWatcher<QString>::finished, this, &PlaygroundView::on_done);
}

PlaygroundView::~PlaygroundView() { wait(); }

void PlaygroundView::set_model_dir(const QString& dir) {
  model_dir_ = dir;
  chat_template_.reset();
  QString why;
  try {
    if (auto t = ChatTemplate::from_directory(dir.toStdString())) chat_template_ = std::make_shared<const ChatTemplate>(std::move(*t));
    else why = tr("This model's tokenizer files hold no chat template (chat_template.jinja or tokenizer_config.json).");
  } catch (const std::exception& e) {
    why = tr("The chat template cannot be used: %1").arg(e.what());
  }
  chat_->setEnabled(chat_template_ != nullptr);
  chat_->setChecked(chat_template_ != nullptr);  // a model that has one is usually meant to be prompted through it
  chat_->setToolTip(chat_template_ ? tr("Template: %1").arg(QString::fromStdString(chat_template_->source())) : why);
  system_->setEnabled(chat_->isChecked());
}

void PlaygroundView::set_db_path(const QString& path) {
  db_path_ = path;
  refresh_runs();
}

void PlaygroundView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  refresh_runs();  // runs recorded since
}

// Bases: each finished quantize run's whole setting (configs written by the
// CLI hold it at the top, the workbench's under "quant"). Adapters: each
// finished finetune run's adapter artifact.
void PlaygroundView::refresh_runs() {
  if (db_path_.isEmpty()) return;
  std::vector<std::pair<int64_t, QuantSettings>> bases;
  std::vector<std::pair<QString, QString>> adapters;  // label, path
  try {
    RunsDb db(db_path_.toStdString());
    for (const auto& r : db.list()) {
      if (r.status != "finished") continue;
      if (r.kind == "quantize") {
        const auto j = nlohmann::json::parse(r.config_json, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) continue;
        try {
          bases.emplace_back(r.id, QuantSettings::from_json(j.contains("quant") ? j["quant"] : j, "run " + std::to_string(r.id)));
        } catch (const std::exception&) {  // a run of an older layout: not offered
        }
      } else if (r.kind == "finetune") {
        for (const auto& [kind, path] : db.artifacts(r.id))
          if (kind == "adapter") adapters.emplace_back(tr("run %1 (%2)").arg(r.id).arg(QString::fromStdString(r.started_at)), QString::fromStdString(path));
      }
    }
  } catch (const std::exception& e) {
    errors_->setText(tr("runs database: %1").arg(e.what()));
    return;
  }
  recorded_.clear();
  for (const auto& [id, s] : bases) recorded_.emplace(id, s);
  for (auto& pane : panes_) {
    const QVariant keep_base = pane.base->currentData(), keep_adapter = pane.adapter_run->currentData();
    const QSignalBlocker block_base(pane.base), block_adapter(pane.adapter_run);
    for (int i = pane.base->count() - 1; i >= 0; --i)
      if (pane.base->itemData(i).toString().startsWith("run:")) pane.base->removeItem(i);
    for (const auto& [id, s] : bases)
      pane.base->addItem(tr("run %1: %2").arg(id).arg(QString::fromStdString(s.label())), QString("run:%1").arg(id));
    pane.adapter_run->clear();
    pane.adapter_run->addItem(adapters.empty() ? tr("(none recorded)") : tr("(choose a finetune run)"), QString());
    for (const auto& [label, path] : adapters) pane.adapter_run->addItem(label, path);
    if (const int i = pane.base->findData(keep_base); i >= 0) pane.base->setCurrentIndex(i);
    if (const int i = pane.adapter_run->findData(keep_adapter); i >= 0) pane.adapter_run->setCurrentIndex(i);
  }
}

QWidget* PlaygroundView::make_pane(const QString& title, Pane* pane) {
  auto* box = new QGroupBox(title);
  pane->base = new QComboBox;
  pane->base->addItem(tr("as stored"), QString());
  add_quant_method_items(pane->base, tr("ICQ-%1"));
  pane->adapter = new QLineEdit;
  pane->adapter->setPlaceholderText(tr("optional: adapter folder from a finetune"));
  pane->adapter_run = new QComboBox;
  pane->adapter_run->addItem(tr("(none recorded)"), QString());
  connect(pane->adapter_run, &QComboBox::currentIndexChanged, this, [pane] {
    const QString path = pane->adapter_run->currentData().toString();
    if (path.isEmpty()) return;
    pane->adapter->setText(path);
    pane->base->setCurrentIndex(0);  // the adapter rebuilds and checks its own base
  });
  pane->output = new QPlainTextEdit;
  pane->output->setReadOnly(true);
  pane->stats = new QLabel;
  const QString suffix = pane == &panes_[0] ? "a" : "b";
  pane->output->setObjectName("playground.output_" + suffix);
  pane->stats->setObjectName("playground.stats_" + suffix);
  auto* form = new QFormLayout;
  form->addRow(tr("Base"), pane->base);
  form->addRow(tr("Adapter"), pane->adapter);
  form->addRow(tr("Adapter of run"), pane->adapter_run);
  auto* v = new QVBoxLayout(box);
  v->addLayout(form);
  v->addWidget(pane->output, 1);
  v->addWidget(pane->stats);
  return box;
}

GenerateRequest PlaygroundView::request(int pane) const {
  GenerateRequest r;
  r.model.model_dir = model_dir_.toStdString();
  const QString base = panes_[pane].base->currentData().toString();
  if (base.startsWith("run:") && recorded_.count(base.mid(4).toLongLong())) r.model.settings = recorded_.at(base.mid(4).toLongLong());
  else r.model.quant = base.toStdString();
  r.model.adapter_dir = panes_[pane].adapter->text().trimmed().toStdString();
  r.model.device = device_->currentData().toString().toStdString();
  r.prompt = prompt_->toPlainText().toStdString();
  r.chat = chat_->isEnabled() && chat_->isChecked();
  if (r.chat) r.system = system_->text().toStdString();
  r.sampling.max_new_tokens = max_tokens_->value();
  r.sampling.temperature = temperature_->value();
  r.sampling.top_k = top_k_->value();
  r.sampling.top_p = top_p_->value();
  r.sampling.seed = static_cast<uint64_t>(seed_->value());
  return r;
}

QString PlaygroundView::output(int pane) const { return panes_[pane].output->toPlainText(); }

QString PlaygroundView::message() const { return errors_->text(); }

bool PlaygroundView::start() {
  if (running()) return false;
  const int panes = compare_->isChecked() ? 2 : 1;
  std::vector<GenerateRequest> requests;
  std::vector<std::string> problems;
  for (int p = 0; p < panes; ++p) {
    requests.push_back(request(p));
    for (const auto& e : validate(requests.back())) problems.push_back((p == 0 ? "pane A: " : "pane B: ") + e);
  }
  if (!problems.empty()) {
    errors_->setText(problems_text(problems));
    return false;
  }
  errors_->clear();
  // The panes start with the text the model is given: the prompt, or the
  // chat template's rendering of it (the job renders the same).
  std::string shown_prompt = requests[0].prompt;
  if (requests[0].chat && chat_template_) {
    try {
      shown_prompt = render_chat_prompt(*chat_template_, requests[0]);
    } catch (const std::exception& e) {
      errors_->setText(QString::fromUtf8(e.what()));
      return false;
    }
  }
  for (int p = 0; p < 2; ++p) {
    panes_[p].output->setPlainText(p < panes ? QString::fromStdString(shown_prompt) : QString());
    panes_[p].stats->clear();
    outcomes_[p] = GenerateOutcome();
    streamed_[p].clear();
  }
  start_->setEnabled(false);
  auto token = std::make_shared<CancelToken>();
  job_ = jobs_ ? jobs_->add(tr("playground (%1 pane%2)").arg(panes).arg(panes > 1 ? "s" : ""), [token] { token->cancel(); }) : 0;
  timer_->start();
  watcher_.setFuture(run_in_worker([this, requests, token] {
    for (size_t p = 0; p < requests.size(); ++p)
      outcomes_[p] = run_generate(
          requests[p],
          [this, p](const std::string& piece) {
            const std::lock_guard<std::mutex> lock(mutex_);
            streamed_[p] += QString::fromStdString(piece);
          },
          token.get());
  }));
  return true;
}

void PlaygroundView::flush() {
  QString add[2];
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (int p = 0; p < 2; ++p) add[p].swap(streamed_[p]);
  }
  for (int p = 0; p < 2; ++p)
    if (!add[p].isEmpty()) {
      panes_[p].output->moveCursor(QTextCursor::End);
      panes_[p].output->insertPlainText(add[p]);
    }
}

void PlaygroundView::on_done() {
  timer_->stop();
  flush();
  start_->setEnabled(true);
  const QString error = watcher_.result();
  if (show_job_error(error, errors_, jobs_, job_)) {
    Q_EMIT finished(false, error);
    return;
  }
  QStringList parts;
  for (int p = 0; p < 2; ++p) {
    const auto& o = outcomes_[p];
    if (o.prompt_tokens == 0) continue;
    // The stream was a preview: the pane ends with the final decode.
    panes_[p].output->setPlainText(QString::fromStdString(o.rendered_prompt + o.text));
    const QString s = tr("%1 prompt tokens, %2 new; prefill %3 ms, %4 tokens/s")
                          .arg(o.prompt_tokens)
                          .arg(o.new_tokens)
                          .arg(1e3 * o.prefill_seconds, 0, 'f', 1)
                          .arg(o.tokens_per_second(), 0, 'f', 1);
    panes_[p].stats->setText(s);
    parts << (p == 0 ? tr("A: ") : tr("B: ")) + s;
  }
  if (jobs_) jobs_->finish(job_, parts.join("; "));
  Q_EMIT finished(true, parts.join("; "));
}

}  // namespace irq::ui
