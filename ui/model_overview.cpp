// Model overview panel.
#include "model_overview.h"

#include <map>

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace irq::ui {

namespace {
void collect(const ModuleNode& n, std::map<std::string, int64_t>& out, std::vector<std::string>& order) {
  if (n.children.empty()) {
    if (!out.count(n.short_name)) order.push_back(n.short_name);
    out[n.short_name] += n.params;
  }
  for (const auto& c : n.children) collect(c, out, order);
}
}  // namespace

std::vector<std::pair<std::string, int64_t>> params_by_leaf_name(const ModuleNode& root) {
  std::map<std::string, int64_t> sums;
  std::vector<std::string> order;
  collect(root, sums, order);
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& name : order) out.emplace_back(name, sums[name]);
  return out;
}

ModelOverview::ModelOverview(QWidget* parent) : QWidget(parent), text_(new QLabel(this)), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  text_->setTextFormat(Qt::RichText);
  text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  text_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  layout->addWidget(text_);
  plot_->setMinimumHeight(220);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  layout->addWidget(plot_, 1);
  clear_model();
}

void ModelOverview::clear_model() {
  text_->setText(tr("<i>No model open. File &rarr; Open model, or drop a model folder here.</i>"));
  plot_->clearPlottables();
  plot_->replot();
}

void ModelOverview::show_summary(const ModelSummary& s) {
  QString dtypes;
  for (const auto& [dtype, n] : s.stored_dtype_params)
    dtypes += QString("%1 %2 ").arg(QString::fromStdString(dtype), QString::fromStdString(format_count(n)));
  text_->setText(QString("<b>%1</b><br>%2, %3 decoder layers<br>"
                         "%4 parameters (%5 in decoder linear layers, the ones IR-QLoRA quantizes)<br>"
                         "checkpoint: %6 tensors, %7 MiB, stored as %8<br>tokenizer: %9<br>opened in %10 s from the headers (no weights read)")
                     .arg(QString::fromStdString(s.dir).toHtmlEscaped(), QString::fromStdString(s.architecture))
                     .arg(s.num_layers)
                     .arg(QString::fromStdString(format_count(s.total_params)), QString::fromStdString(format_count(s.linear_params)))
                     .arg(s.num_tensors)
                     .arg(static_cast<double>(s.checkpoint_bytes) / (1 << 20), 0, 'f', 2)
                     .arg(dtypes.trimmed(), QString::fromStdString(s.tokenizer).toHtmlEscaped())
                     .arg(s.load_seconds, 0, 'f', 3));

  const auto groups = params_by_leaf_name(s.root);
  plot_->clearPlottables();
  auto* bars = new QCPBars(plot_->xAxis, plot_->yAxis);
  bars->setName(tr("parameters"));
  QVector<double> ticks, values;
  QVector<QString> labels;
  double ymax = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].second == 0) continue;
    ticks << static_cast<double>(ticks.size() + 1);
    values << static_cast<double>(groups[i].second);
    labels << QString::fromStdString(groups[i].first);
    ymax = std::max(ymax, static_cast<double>(groups[i].second));
  }
  bars->setData(ticks, values);
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  ticker->addTicks(ticks, labels);
  plot_->xAxis->setTicker(ticker);
  plot_->xAxis->setTickLabelRotation(45);
  plot_->xAxis->setRange(0, ticks.size() + 1);
  plot_->yAxis->setRange(0, ymax * 1.1);
  plot_->yAxis->setLabel(tr("parameters (all layers)"));
  plot_->replot();
}

}  // namespace irq::ui
