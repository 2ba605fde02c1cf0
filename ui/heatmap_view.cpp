// Model-wide heatmap of a quantization (heatmap_view.h).
#include "heatmap_view.h"

#include <cmath>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "plot_tools.h"
#include "runs/runs_db.h"

namespace irq::ui {

namespace {

constexpr int kLive = -1;  // source item data: the Quantize tab's pass; else a run id

std::vector<LayerFigures> figures_of_rows(const std::vector<LayerRow>& rows) {
  std::vector<LayerFigures> out;
  for (const auto& r : rows) out.push_back({r.name, r.entropy_plain, r.entropy, r.mse, r.sqnr_db, r.bits_per_weight, r.offset_spread});
  return out;
}

}  // namespace

HeatmapView::HeatmapView(QWidget* parent)
    : QWidget(parent), source_(new QComboBox), statistic_(new QComboBox), info_(new QLabel), plot_(new QCustomPlot) {
  source_->setObjectName("heatmap.source");  // names for out-of-process tests (widget_probe.h)
  statistic_->setObjectName("heatmap.statistic");
  plot_->setObjectName("heatmap.plot");
  info_->setObjectName("heatmap.info");
  for (auto s : layer_statistics()) statistic_->addItem(QString::fromStdString(statistic_label(s)), static_cast<int>(s));
  auto* reload = new QPushButton(tr("Reload runs"));
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Source")));
  top->addWidget(source_, 1);
  top->addWidget(reload);
  top->addWidget(new QLabel(tr("Statistic")));
  top->addWidget(statistic_);
  info_->setText(tr("Quantize the model (Quantize tab) or pick a recorded quantize run; click a cell to open it in Weights."));
  info_->setWordWrap(true);
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, tr("Layers x projections"), QFont("sans", 10, QFont::Bold)));
  map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
  map_->setInterpolate(false);  // one flat cell per (layer, projection)
  scale_ = new QCPColorScale(plot_);
  plot_->plotLayout()->addElement(1, 1, scale_);
  scale_->setType(QCPAxis::atRight);
  map_->setColorScale(scale_);
  auto* group = new QCPMarginGroup(plot_);
  plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  plot_->xAxis->setLabel(tr("projection"));
  plot_->yAxis->setLabel(tr("decoder layer"));
  plot_->yAxis->setRangeReversed(true);  // layer 0 on top, as the model reads
  plot_->setMouseTracking(true);
  auto* outer = new QVBoxLayout(this);
  outer->addLayout(top);
  outer->addWidget(info_);
  outer->addWidget(plot_, 1);
  connect(source_, &QComboBox::currentIndexChanged, this, [this] { load_source(); });
  connect(statistic_, &QComboBox::currentIndexChanged, this, [this] { redraw(); });
  connect(reload, &QPushButton::clicked, this, [this] { refresh_runs(); });
  connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    int64_t l = 0;
    int p = 0;
    if (cell_at(e->pos(), &l, &p)) QToolTip::showText(e->globalPosition().toPoint(), cell_text(l, p), plot_);
    else QToolTip::hideText();
  });
  connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
    int64_t l = 0;
    int p = 0;
    if (e->button() == Qt::LeftButton && cell_at(e->pos(), &l, &p)) choose_cell(l, p);
  });
}

void HeatmapView::set_db_path(const QString& path) {
  db_path_ = path;
  refresh_runs();
}

void HeatmapView::set_live(const ModelQuantStats& stats) {
  live_.clear();
  for (const auto& l : stats.layers) live_.push_back(figures_of(l));
  const QString label = tr("Quantize tab: %1").arg(QString::fromStdString(stats.settings.label()));
  const int i = source_->findData(kLive);
  if (i >= 0) source_->setItemText(i, label);
  else source_->insertItem(0, label, kLive);
  const QSignalBlocker block(source_);
  source_->setCurrentIndex(source_->findData(kLive));
  load_source();
}

void HeatmapView::refresh_runs() {
  const QVariant keep = source_->currentData();
  const QSignalBlocker block(source_);
  for (int i = source_->count() - 1; i >= 0; --i)
    if (source_->itemData(i).toInt() != kLive) source_->removeItem(i);
  if (!db_path_.isEmpty()) try {
      RunsDb db(db_path_.toStdString());
      for (const auto& r : db.list())
        if (r.kind == "quantize" && r.status == "finished")
          source_->addItem(tr("run %1: %2 (%3)").arg(r.id).arg(QString::fromStdString(r.started_at), QString::fromStdString(r.model_path)),
                           static_cast<int>(r.id));
    } catch (const std::exception& e) {
      info_->setText(tr("runs database: %1").arg(e.what()));
    }
  const int i = source_->findData(keep);
  source_->setCurrentIndex(i >= 0 ? i : 0);
  load_source();
}

void HeatmapView::load_source() {
  rows_.clear();
  const int source = source_->currentData().isValid() ? source_->currentData().toInt() : kLive;
  if (source == kLive) {
    rows_ = live_;
  } else if (!db_path_.isEmpty()) {
    try {
      rows_ = figures_of_rows(RunsDb(db_path_.toStdString()).quant_layers(source));
    } catch (const std::exception& e) {
      info_->setText(tr("runs database: %1").arg(e.what()));
    }
  }
  redraw();
}

void HeatmapView::redraw() {
  const auto stat = static_cast<LayerStatistic>(statistic_->currentData().toInt());
  const auto& rows = rows_;
  grid_ = layer_grid(rows, stat);
  const int nx = static_cast<int>(grid_.projections.size()), ny = static_cast<int>(grid_.layers);
  map_->data()->setSize(std::max(nx, 1), std::max(ny, 1));
  map_->data()->setRange(QCPRange(0, std::max(nx - 1, 1)), QCPRange(0, std::max(ny - 1, 1)));
  double lo = INFINITY, hi = -INFINITY;
  for (int l = 0; l < ny; ++l)
    for (int p = 0; p < nx; ++p) {
      const double v = grid_.at(l, static_cast<size_t>(p));
      map_->data()->setCell(p, l, v);  // NaN cells draw transparent
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  const bool any = std::isfinite(lo);
  if (!any) lo = 0, hi = 1;
  if (hi <= lo) hi = lo + 1e-12;
  // A signed statistic around 0 (entropy gain): a diverging gradient centred on 0.
  if (lo < 0 && hi > 0) {
    const double m = std::max(-lo, hi);
    map_->setGradient(QCPColorGradient::gpPolar);
    map_->setDataRange(QCPRange(-m, m));
  } else {
    map_->setGradient(QCPColorGradient::gpThermal);
    map_->setDataRange(QCPRange(lo, hi));
  }
  map_->gradient().setNanHandling(QCPColorGradient::nhTransparent);
  scale_->axis()->setLabel(QString::fromStdString(statistic_label(stat)));
  QSharedPointer<QCPAxisTickerText> xt(new QCPAxisTickerText);
  for (int p = 0; p < nx; ++p) xt->addTick(p, QString::fromStdString(grid_.projections[static_cast<size_t>(p)]).remove("_proj"));
  plot_->xAxis->setTicker(xt);
  plot_->xAxis->setRange(-0.5, nx - 0.5);
  plot_->yAxis->setRange(-0.5, ny - 0.5);
  QSharedPointer<QCPAxisTickerFixed> yt(new QCPAxisTickerFixed);
  yt->setTickStep(std::max(1, ny / 16));
  yt->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  plot_->yAxis->setTicker(yt);
  if (any)
    info_->setText(tr("%1 layers x %2 projections, %3 from %4 to %5; click a cell to open it in Weights")
                       .arg(ny)
                       .arg(nx)
                       .arg(QString::fromStdString(statistic_label(stat)))
                       .arg(lo, 0, 'g', 4)
                       .arg(hi, 0, 'g', 4));
  else if (!rows.empty())
    info_->setText(tr("%1 is not recorded for this run").arg(QString::fromStdString(statistic_label(stat))));
  plot_->replot();
}

bool HeatmapView::cell_at(const QPoint& pos, int64_t* layer, int* projection) const {
  if (grid_.projections.empty()) return false;
  const double x = plot_->xAxis->pixelToCoord(pos.x()), y = plot_->yAxis->pixelToCoord(pos.y());
  const int p = static_cast<int>(std::lround(x));
  const int64_t l = std::lround(y);
  if (p < 0 || p >= static_cast<int>(grid_.projections.size()) || l < 0 || l >= grid_.layers) return false;
  if (!plot_->axisRect()->rect().contains(pos)) return false;
  *layer = l;
  *projection = p;
  return true;
}

QString HeatmapView::cell_text(int64_t layer, int projection) const {
  const auto& name = grid_.name(layer, static_cast<size_t>(projection));
  if (name.empty()) return tr("layer %1 %2: not quantized").arg(layer).arg(QString::fromStdString(grid_.projections[static_cast<size_t>(projection)]));
  const auto stat = static_cast<LayerStatistic>(statistic_->currentData().toInt());
  return tr("%1\n%2 = %3").arg(QString::fromStdString(name), QString::fromStdString(statistic_label(stat)))
      .arg(grid_.at(layer, static_cast<size_t>(projection)), 0, 'g', 6);
}

void HeatmapView::choose_cell(int64_t layer, int projection) {
  const auto& name = grid_.name(layer, static_cast<size_t>(projection));
  if (!name.empty()) Q_EMIT layer_chosen(QString::fromStdString(name));
}

}  // namespace irq::ui
