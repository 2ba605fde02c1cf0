// Ablation experiment table and loss curves.
#include "ablation_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "experiments/ablation_runs.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "plot_tools.h"

namespace irq::ui {

AblationPanel::AblationPanel(QWidget* parent)
    : QWidget(parent), box_(new QComboBox), table_(new QTableWidget), loss_(new QCustomPlot) {
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  loss_->xAxis->setLabel(tr("step"));
  loss_->yAxis->setLabel(tr("training loss"));
  loss_->legend->setVisible(true);
  loss_->legend->setFont(QFont("sans", 7));
  make_interactive(loss_);
  auto* export_b = new QPushButton(tr("Export table..."));
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Experiment")));
  bar->addWidget(box_, 1);
  bar->addWidget(export_b);
  connect(export_b, &QPushButton::clicked, this, [this] {
    if (markdown_.isEmpty()) return;
    const QString f = QFileDialog::getSaveFileName(this, tr("Export the ablation table"), box_->currentText() + ".md",
                                                   tr("Markdown (*.md);;CSV (*.csv);;LaTeX (*.tex)"));
    if (f.isEmpty()) return;
    try {
      export_report(f);
    } catch (const std::exception& e) {
      QMessageBox::warning(this, tr("Export"), QString::fromStdString(e.what()));
    }
  });
  auto* split = new QSplitter;
  split->addWidget(table_);
  split->addWidget(loss_);
  split->setStretchFactor(1, 1);
  auto* outer = new QVBoxLayout(this);
  outer->addLayout(bar);
  outer->addWidget(split, 1);
  connect(box_, &QComboBox::currentTextChanged, this, [this](const QString& id) { show_experiment(id); });
}

void AblationPanel::set_db_path(const QString& path) {
  db_path_ = path;
  const QString current = box_->currentText();
  box_->blockSignals(true);
  box_->clear();
  try {
    RunsDb db(db_path_.toStdString());
    for (const auto& id : experiment_ids(db)) box_->addItem(QString::fromStdString(id));
  } catch (const std::exception&) {
    // the runs table shows the database's error
  }
  box_->blockSignals(false);
  const int i = box_->findText(current);
  box_->setCurrentIndex(i >= 0 ? i : 0);
  show_experiment(box_->currentText());
}

QString AblationPanel::report(const QString& format) const {
  if (format == "markdown") return markdown_;
  if (format == "csv") return csv_;
  if (format == "latex") return latex_;
  return {};
}

void AblationPanel::export_report(const QString& file) const {
  const QString ext = QFileInfo(file).suffix().toLower();
  const QString text = ext == "csv" ? csv_ : (ext == "tex" ? latex_ : markdown_);
  if (text.isEmpty()) throw make_error(ErrorKind::kUsage, file.toStdString(), "no experiment is shown");
  write_text_atomic(file.toStdString(), text.toStdString());
}

void AblationPanel::show_experiment(const QString& id) {
  markdown_.clear();
  csv_.clear();
  latex_.clear();
  table_->clear();
  table_->setRowCount(0);
  table_->setColumnCount(0);
  loss_->clearGraphs();
  if (id.isEmpty()) {
    loss_->replot();
    return;
  }
  try {
    fill(id);
  } catch (const std::exception& e) {  // a database another process broke meanwhile: show nothing
    table_->setRowCount(0);
  }
  loss_->rescaleAxes();
  loss_->replot();
}

void AblationPanel::fill(const QString& id) {
  RunsDb db(db_path_.toStdString());
  const auto e = ablation_from_runs(db, id.toStdString());
  const auto t = ablation_table(e.grid, e.metrics, e.results);
  const auto report = ablation_report(e.grid, e.metrics, e.results, "Ablation " + id.toStdString());
  markdown_ = QString::fromStdString(report.markdown);
  csv_ = QString::fromStdString(report.csv);
  latex_ = QString::fromStdString(report.latex);
  table_->setColumnCount(static_cast<int>(t.columns.size()));
  table_->setRowCount(static_cast<int>(t.rows.size()));
  QStringList headers, rows;
  for (const auto& c : t.columns) headers << QString::fromStdString(c.header);
  for (const auto& r : t.rows) rows << QString::fromStdString(r);
  table_->setHorizontalHeaderLabels(headers);
  table_->setVerticalHeaderLabels(rows);
  for (size_t row = 0; row < t.rows.size(); ++row)
    for (size_t col = 0; col < t.columns.size(); ++col) {
      auto* item = new QTableWidgetItem(t.values[row][col] ? QString::fromStdString(t.text(row, col)) : QString("–"));
      item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (t.columns[col].best == static_cast<int>(row)) {
        QFont f = item->font();
        f.setBold(true);
        item->setFont(f);
      }
      table_->setItem(static_cast<int>(row), static_cast<int>(col), item);
    }
  // One loss curve per cell, coloured by variant, dashed for the lower bit widths.
  const QColor colors[] = {QColor(127, 127, 127), QColor(31, 119, 180), QColor(44, 160, 44), QColor(214, 39, 40)};
  std::vector<std::string> quants;
  for (const auto& c : e.grid.cells)
    if (quants.empty() || quants.back() != c.quant) quants.push_back(c.quant);
  for (const auto& c : e.grid.cells) {
    const auto it = e.finetune_run.find(c.key());
    if (it == e.finetune_run.end()) continue;
    QVector<double> x, y;
    for (const auto& p : db.metrics(it->second))
      if (p.name == "loss") {
        x << static_cast<double>(p.step);
        y << p.value;
      }
    auto* g = loss_->addGraph();
    g->setData(x, y);
    g->setName(QString::fromStdString(c.variant + " " + c.quant));
    const size_t v = static_cast<size_t>(std::find(t.rows.begin(), t.rows.end(), c.variant) - t.rows.begin());
    const size_t q = static_cast<size_t>(std::find(quants.begin(), quants.end(), c.quant) - quants.begin());
    g->setPen(QPen(colors[v % 4], 1.5, q == 0 ? Qt::SolidLine : q == 1 ? Qt::DashLine : q == 2 ? Qt::DotLine : Qt::DashDotLine));
  }
}

}  // namespace irq::ui
