// Runs table and run comparison.
#include "experiments_view.h"

#include <cmath>
#include <map>
#include <set>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QSettings>
#include <QMenu>
#include <QSlider>
#include <QComboBox>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include "eval/mmlu_data.h"
#include "ablation_panel.h"
#include "plot_tools.h"
#include "runs/run_summary.h"
#include "runs/runs_db.h"

namespace irq::ui {

namespace {

const QColor kColors[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40),
                          QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127)};
QColor color(size_t i) { return kColors[i % (sizeof kColors / sizeof kColors[0])]; }

QCustomPlot* runs_plot(const QString& title, const QString& x, const QString& y) {
  return titled_plot(title, x, y, /*title_points=*/10, /*legend_columns=*/4);
}

QString label(const RunRecord& r) { return QString("run %1 (%2)").arg(r.id).arg(QString::fromStdString(r.kind)); }

std::map<std::string, std::string> flat_config(const RunRecord& r) {
  std::map<std::string, std::string> out = {{"kind", r.kind}, {"model", r.model_path}, {"device", r.device}, {"version", r.version}};
  const auto j = nlohmann::json::parse(r.config_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return out;
  const auto flat = j.flatten();  // "/a/b" -> value
  for (const auto& [k, v] : flat.items()) out["config" + k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace

ExperimentsView::ExperimentsView(QWidget* parent)
    : QWidget(parent),
      filter_(new QLineEdit),
      table_(new QTableWidget(0, 8 + static_cast<int>(run_summary_columns().size()))),
      tabs_(new QTabWidget),
      loss_(runs_plot(tr("Training loss"), tr("step"), tr("loss"))),
      mmlu_(runs_plot(tr("MMLU accuracy per category"), tr("category"), tr("accuracy %"))),
      entropy_(runs_plot(tr("Code entropy per layer"), tr("layer (in model order)"), tr("entropy (bits)"))),
      diff_(new QTableWidget),
      ablation_(new AblationPanel),
      smoothing_(new QSlider(Qt::Horizontal)),
      loss_x_(new QComboBox) {
  filter_->setPlaceholderText(tr("filter: words in any column, or column:text (method:GPTQ rank:64 kind:finetune)"));
  auto* refresh_b = new QPushButton(tr("Refresh"));
  auto* tag_b = new QPushButton(tr("Tag..."));
  auto* note_b = new QPushButton(tr("Note..."));
  auto* delete_b = new QPushButton(tr("Delete"));
  auto* compare_b = new QPushButton(tr("Compare selected"));
  auto* bar = new QHBoxLayout;
  bar->addWidget(filter_, 1);
  for (auto* b : {refresh_b, tag_b, note_b, delete_b, compare_b}) bar->addWidget(b);

  QStringList headers = {tr("ID"), tr("Kind"), tr("Status"), tr("Model"), tr("Device"), tr("Started"), tr("Tags"), tr("Note")};
  for (const auto& c : run_summary_columns()) headers << tr(c.header);
  table_->setHorizontalHeaderLabels(headers);
  table_->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(table_->horizontalHeader(), &QWidget::customContextMenuRequested, this, [this](const QPoint& p) { column_menu(p); });
  {  // summary columns shown: remembered; by default what most distinguishes runs
    QSettings settings;
    const QStringList shown =
        settings.value("experiments/columns", QStringList{"method", "rank", "steps", "final_loss", "ppl", "mmlu"}).toStringList();
    for (const auto& c : run_summary_columns()) table_->setColumnHidden(column_of(c.key), !shown.contains(c.key));
  }
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  table_->setSortingEnabled(true);

  smoothing_->setObjectName("experiments.smoothing");  // names for out-of-process tests (widget_probe.h)
  loss_x_->setObjectName("experiments.loss_x");
  smoothing_->setRange(0, 99);
  smoothing_->setValue(60);
  smoothing_->setToolTip(tr("EMA weight of the smoothed curve (0: raw)"));
  loss_x_->addItem(tr("step"), "step");
  loss_x_->addItem(tr("tokens"), "tokens");
  auto* loss_page = new QWidget;
  auto* loss_controls = new QHBoxLayout;
  loss_controls->addWidget(new QLabel(tr("Smoothing")));
  loss_controls->addWidget(smoothing_, 1);
  loss_controls->addWidget(new QLabel(tr("x axis")));
  loss_controls->addWidget(loss_x_);
  auto* loss_layout = new QVBoxLayout(loss_page);
  loss_layout->setContentsMargins(0, 0, 0, 0);
  loss_layout->addLayout(loss_controls);
  loss_layout->addWidget(loss_, 1);
  connect(smoothing_, &QSlider::valueChanged, this, [this] { draw_losses(); });
  connect(loss_x_, &QComboBox::currentIndexChanged, this, [this] { draw_losses(); });
  tabs_->addTab(loss_page, tr("Loss curves"));
  tabs_->addTab(mmlu_, tr("MMLU by category"));
  tabs_->addTab(entropy_, tr("Per-layer entropy"));
  tabs_->addTab(diff_, tr("Config diff"));
  tabs_->addTab(ablation_, tr("Ablation experiments"));
  diff_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  diff_->horizontalHeader()->setStretchLastSection(true);

  auto* top = new QWidget;
  auto* tv = new QVBoxLayout(top);
  tv->setContentsMargins(0, 0, 0, 0);
  tv->addLayout(bar);
  tv->addWidget(table_);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(top);
  split->addWidget(tabs_);
  split->setStretchFactor(1, 1);
  auto* outer = new QVBoxLayout(this);
  outer->addWidget(split);

  connect(filter_, &QLineEdit::textChanged, this, [this] { apply_filter(); });
  connect(refresh_b, &QPushButton::clicked, this, [this] { refresh(); });
  connect(compare_b, &QPushButton::clicked, this, [this] { compare(selected_runs()); });
  connect(tag_b, &QPushButton::clicked, this, [this] {
    bool ok = false;
    const QString t = QInputDialog::getText(this, tr("Tag runs"), tr("Tag:"), QLineEdit::Normal, {}, &ok);
    if (ok && !t.trimmed().isEmpty()) tag_selected(t.trimmed());
  });
  connect(note_b, &QPushButton::clicked, this, [this] {
    bool ok = false;
    const QString t = QInputDialog::getMultiLineText(this, tr("Note"), tr("Note for the selected runs:"), {}, &ok);
    if (ok) note_selected(t);
  });
  connect(delete_b, &QPushButton::clicked, this, [this] {
    const auto ids = selected_runs();
    if (ids.empty()) return;
    if (QMessageBox::question(this, tr("Delete runs"), tr("Delete %1 run(s) and everything recorded with them?").arg(ids.size())) ==
        QMessageBox::Yes)
      delete_selected();
  });
  set_db_path(QString::fromStdString(RunsDb::default_path().string()));
}

void ExperimentsView::set_db_path(const QString& path) {
  db_path_ = path;
  refresh();
}

void ExperimentsView::refresh() {
  error_.clear();
  std::vector<RunRecord> runs;
  std::vector<std::vector<MetricPoint>> metrics;
  try {
    RunsDb db(db_path_.toStdString());
    runs = db.list();
    for (const auto& r : runs) metrics.push_back(db.metrics(r.id));
  } catch (const std::exception& e) {
    error_ = QString::fromStdString(e.what());
    Q_EMIT log(tr("runs database: %1").arg(error_));
  }
  table_->setSortingEnabled(false);
  table_->setRowCount(static_cast<int>(runs.size()));
  for (int row = 0; row < static_cast<int>(runs.size()); ++row) {
    const auto& r = runs[static_cast<size_t>(row)];
    QStringList tags;
    for (const auto& t : r.tags) tags << QString::fromStdString(t);
    auto* id = new QTableWidgetItem;
    id->setData(Qt::DisplayRole, static_cast<qlonglong>(r.id));
    table_->setItem(row, 0, id);
    const QStringList cells = {QString::fromStdString(r.kind), QString::fromStdString(r.status), QString::fromStdString(r.model_path),
                               QString::fromStdString(r.device), QString::fromStdString(r.started_at), tags.join(", "),
                               QString::fromStdString(r.notes)};
    for (int c = 0; c < cells.size(); ++c) table_->setItem(row, c + 1, new QTableWidgetItem(cells[c]));
    const RunSummary summary = summarize_run(r, metrics[static_cast<size_t>(row)]);
    for (const auto& col : run_summary_columns()) {
      const QString text = QString::fromStdString(summary_cell(summary, col.key));
      auto* item = new QTableWidgetItem;
      bool numeric = false;
      const double v = text.toDouble(&numeric);
      if (numeric) item->setData(Qt::DisplayRole, v);  // sorts as a number
      else item->setText(text);
      table_->setItem(row, column_of(col.key), item);
    }
  }
  table_->setSortingEnabled(true);
  table_->resizeColumnsToContents();
  apply_filter();
  if (error_.isEmpty()) ablation_->set_db_path(db_path_);
}

void ExperimentsView::set_filter(const QString& text) { filter_->setText(text); }

// Words of the filter must all match: "column:text" (a column's header,
// e.g. "method:GPTQ", "rank:64") matches that column, anything else any column.
void ExperimentsView::apply_filter() {
  const QStringList words = filter_->text().split(' ', Qt::SkipEmptyParts);
  auto column_named = [this](const QString& name) {
    for (int c = 0; c < table_->columnCount(); ++c)
      if (auto* h = table_->horizontalHeaderItem(c); h && h->text().remove(' ').compare(name, Qt::CaseInsensitive) == 0) return c;
    return -1;
  };
  for (int row = 0; row < table_->rowCount(); ++row) {
    bool all = true;
    for (const QString& word : words) {
      const int colon = word.indexOf(':');
      const int col = colon > 0 ? column_named(word.left(colon)) : -1;
      const QString text = col >= 0 ? word.mid(colon + 1) : word;
      bool match = false;
      for (int c = (col >= 0 ? col : 0); c < (col >= 0 ? col + 1 : table_->columnCount()) && !match; ++c)
        if (auto* item = table_->item(row, c)) match = item->text().contains(text, Qt::CaseInsensitive);
      all = all && match;
    }
    table_->setRowHidden(row, !all);
  }
}

std::vector<int64_t> ExperimentsView::selected_runs() const {
  std::set<int64_t> ids;
  for (auto* item : table_->selectedItems())
    if (auto* id = table_->item(item->row(), 0)) ids.insert(id->data(Qt::DisplayRole).toLongLong());
  return {ids.begin(), ids.end()};
}

void ExperimentsView::select_runs(const std::vector<int64_t>& ids) {
  table_->clearSelection();
  const auto mode = table_->selectionMode();
  table_->setSelectionMode(QAbstractItemView::MultiSelection);
  for (int row = 0; row < table_->rowCount(); ++row)
    if (std::find(ids.begin(), ids.end(), table_->item(row, 0)->data(Qt::DisplayRole).toLongLong()) != ids.end()) table_->selectRow(row);
  table_->setSelectionMode(mode);
}

void ExperimentsView::tag_selected(const QString& tag) {
  RunsDb db(db_path_.toStdString());
  for (auto id : selected_runs()) db.add_tag(id, tag.toStdString());
  const auto keep = selected_runs();
  refresh();
  select_runs(keep);
}

void ExperimentsView::note_selected(const QString& note) {
  RunsDb db(db_path_.toStdString());
  for (auto id : selected_runs()) db.set_note(id, note.toStdString());
  const auto keep = selected_runs();
  refresh();
  select_runs(keep);
}

void ExperimentsView::delete_selected() {
  RunsDb db(db_path_.toStdString());
  for (auto id : selected_runs()) {
    db.remove(id);
    Q_EMIT log(tr("deleted run %1").arg(id));
  }
  refresh();
}

int ExperimentsView::column_of(const QString& key) const {
  const auto& cols = run_summary_columns();
  for (size_t i = 0; i < cols.size(); ++i)
    if (key == cols[i].key) return 8 + static_cast<int>(i);
  return -1;
}

void ExperimentsView::set_column_visible(const QString& key, bool on) {
  const int c = column_of(key);
  if (c < 0) return;
  table_->setColumnHidden(c, !on);
  QStringList shown;
  for (const auto& col : run_summary_columns())
    if (!table_->isColumnHidden(column_of(col.key))) shown << col.key;
  QSettings().setValue("experiments/columns", shown);
  if (on) table_->resizeColumnToContents(c);
}

void ExperimentsView::column_menu(const QPoint& pos) {
  QMenu menu(this);
  for (const auto& col : run_summary_columns()) {
    auto* a = menu.addAction(tr(col.header));
    a->setCheckable(true);
    a->setChecked(!table_->isColumnHidden(column_of(col.key)));
    const QString key = col.key;
    connect(a, &QAction::toggled, this, [this, key](bool on) { set_column_visible(key, on); });
  }
  menu.exec(table_->horizontalHeader()->mapToGlobal(pos));
}

// Raw curves faint, EMA-smoothed ones solid (TensorBoard's debiased EMA:
// s_t = a s_(t-1) + (1 - a) x_t, shown as s_t / (1 - a^t)); the axes keep
// every raw point.
void ExperimentsView::draw_losses() {
  loss_->clearPlottables();
  const double a = smoothing_->value() / 100.0;
  const bool by_tokens = loss_x_->currentData().toString() == "tokens";
  loss_->xAxis->setLabel(by_tokens ? tr("tokens") : tr("step"));
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (size_t i = 0; i < loss_runs_.size(); ++i) {
    const auto& c = loss_runs_[i];
    const auto& xs = by_tokens && !c.tokens.empty() ? c.tokens : c.step;
    auto* raw = loss_->addGraph();
    auto* smooth = loss_->addGraph();
    QColor faint = color(i);
    faint.setAlpha(70);
    raw->setPen(QPen(faint, 1));
    raw->setName(c.label + tr(" (raw)"));
    raw->removeFromLegend();  // the faint raw curve shares its run's colour
    smooth->setPen(QPen(color(i), 2));
    smooth->setName(by_tokens && c.tokens.empty() ? c.label + tr(" (no token counts: by step)") : c.label);
    double s = 0, weight = 1;
    for (size_t k = 0; k < c.loss.size(); ++k) {
      s = a * s + (1 - a) * c.loss[k];
      weight *= a;
      raw->addData(xs[k], c.loss[k]);
      smooth->addData(xs[k], s / (1 - weight));
      xlo = std::min(xlo, xs[k]), xhi = std::max(xhi, xs[k]);
      ylo = std::min(ylo, c.loss[k]), yhi = std::max(yhi, c.loss[k]);
    }
  }
  if (std::isfinite(ylo)) {
    const double dx = std::max(xhi - xlo, 1.0), dy = std::max(yhi - ylo, 1e-6);
    loss_->xAxis->setRange(xlo - 0.02 * dx, xhi + 0.02 * dx);
    loss_->yAxis->setRange(ylo - 0.05 * dy, yhi + 0.05 * dy);
  }
  loss_->replot();
}

void ExperimentsView::compare(const std::vector<int64_t>& ids) {
  loss_->clearPlottables();
  mmlu_->clearPlottables();
  entropy_->clearPlottables();
  diff_->clear();
  loss_runs_.clear();
  if (ids.empty()) return;
  std::vector<RunRecord> runs;
  RunsDb db(db_path_.toStdString());
  for (auto id : ids) runs.push_back(db.get(id));

  // Loss curves.
  loss_runs_.clear();
  for (const auto& run : runs) {
    LossCurve c;
    c.label = label(run);
    std::map<int64_t, double> loss, tokens;
    for (const auto& m : db.metrics(run.id)) {
      if (m.name == "loss") loss[m.step] = m.value;
      if (m.name == "tokens") tokens[m.step] = m.value;
    }
    double seen = 0;
    for (const auto& [step, value] : loss) {
      c.step.push_back(static_cast<double>(step));
      c.loss.push_back(value);
      if (const auto t = tokens.find(step); t != tokens.end()) c.tokens.push_back(seen += t->second);
    }
    if (c.tokens.size() != c.loss.size()) c.tokens.clear();  // runs recorded before "tokens" existed
    if (!c.loss.empty()) loss_runs_.push_back(std::move(c));
  }
  draw_losses();

  // MMLU per category, grouped bars.
  const auto cats = MmluCategories::builtin();
  std::map<std::string, std::string> sub_to_cat;
  for (const auto& [cat, subs] : cats.categories)
    for (const auto& s : subs) sub_to_cat[s] = cat;
  std::vector<std::string> names;
  for (const auto& [cat, subs] : cats.categories) names.push_back(cat);
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (size_t c = 0; c < names.size(); ++c) ticker->addTick(static_cast<double>(c), QString::fromStdString(names[c]).replace(" (", "\n("));
  mmlu_->xAxis->setTicker(ticker);
  const double width = 0.8 / static_cast<double>(std::max<size_t>(1, runs.size()));
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto scores = db.mmlu(runs[i].id);
    if (scores.empty()) continue;
    std::map<std::string, std::pair<int64_t, int64_t>> per;  // category -> correct, total
    for (const auto& s : scores) {
      const auto sub = cats.subcategories.find(s.subject);
      if (sub == cats.subcategories.end() || sub->second.empty()) continue;
      auto& acc = per[sub_to_cat[sub->second.front()]];
      acc.first += s.correct;
      acc.second += s.total;
    }
    auto* bars = new QCPBars(mmlu_->xAxis, mmlu_->yAxis);
    bars->setName(label(runs[i]));
    bars->setWidth(width);
    bars->setPen(Qt::NoPen);
    bars->setBrush(color(i));
    for (size_t c = 0; c < names.size(); ++c) {
      const auto it = per.find(names[c]);
      if (it == per.end() || it->second.second == 0) continue;
      bars->addData(static_cast<double>(c) - 0.4 + width * (static_cast<double>(i) + 0.5),
                    100.0 * static_cast<double>(it->second.first) / static_cast<double>(it->second.second));
    }
  }
  mmlu_->xAxis->setRange(-0.6, static_cast<double>(names.size()) - 0.4);
  mmlu_->yAxis->setRange(0, 100);
  mmlu_->replot();

  // Per-layer entropy after quantization (plain NF4/INT dashed for reference).
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto layers = db.quant_layers(runs[i].id);
    if (layers.empty()) continue;
    auto* after = entropy_->addGraph();
    after->setName(label(runs[i]) + tr(" ICQ"));
    after->setPen(QPen(color(i), 2));
    auto* before = entropy_->addGraph();
    before->setName(label(runs[i]) + tr(" plain"));
    before->setPen(QPen(color(i), 1, Qt::DashLine));
    for (size_t k = 0; k < layers.size(); ++k) {
      after->addData(static_cast<double>(k), layers[k].entropy);
      before->addData(static_cast<double>(k), layers[k].entropy_plain);
    }
  }
  entropy_->rescaleAxes();
  entropy_->replot();

  // Config diff: only the keys whose values differ.
  std::vector<std::map<std::string, std::string>> flat;
  std::set<std::string> keys;
  for (const auto& r : runs) {
    flat.push_back(flat_config(r));
    for (const auto& [k, v] : flat.back()) keys.insert(k);
  }
  QStringList header = {tr("setting")};
  for (const auto& r : runs) header << label(r);
  diff_->setColumnCount(header.size());
  diff_->setHorizontalHeaderLabels(header);
  int row = 0;
  diff_->setRowCount(0);
  for (const auto& k : keys) {
    std::set<std::string> values;
    for (const auto& f : flat) values.insert(f.count(k) ? f.at(k) : std::string("(absent)"));
    if (values.size() < 2) continue;
    diff_->insertRow(row);
    diff_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(k)));
    for (size_t i = 0; i < flat.size(); ++i)
      diff_->setItem(row, static_cast<int>(i) + 1,
                     new QTableWidgetItem(QString::fromStdString(flat[i].count(k) ? flat[i].at(k) : "(absent)")));
    ++row;
  }
  diff_->resizeColumnsToContents();
  Q_EMIT log(tr("comparing %1 runs").arg(runs.size()));
}

}  // namespace irq::ui
