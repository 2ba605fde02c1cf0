// Heatmap tab: the whole model at once — decoder layers x projections
// coloured by a chosen statistic (entropy gain, MSE, SQNR, offset spread,
// bits/weight; quant/layer_grid.h) of the Quantize tab's latest pass or of a
// recorded quantize run, with a colour bar; hovering a cell shows its
// numbers, clicking it opens that projection in the Weights tab.
#pragma once

#include <QWidget>

#include "quant/layer_grid.h"

class QComboBox;
class QCPColorMap;
class QCPColorScale;
class QCustomPlot;
class QLabel;
class QMouseEvent;

namespace irq::ui {

class HeatmapView : public QWidget {
  Q_OBJECT
 public:
  explicit HeatmapView(QWidget* parent = nullptr);
  void set_db_path(const QString& path);
  void set_live(const ModelQuantStats& stats);  // the Quantize tab's latest pass (becomes the source shown)
  void refresh_runs();                          // the recorded quantize runs in the source list
  QComboBox* source_box() const { return source_; }
  QComboBox* statistic_box() const { return statistic_; }
  QCustomPlot* plot() const { return plot_; }
  const LayerGrid& grid() const { return grid_; }
  QString cell_text(int64_t layer, int projection) const;  // what hovering shows
  void choose_cell(int64_t layer, int projection);         // what clicking does

 Q_SIGNALS:
  void layer_chosen(const QString& weight_name);

 private:
  void load_source();  // the chosen source's rows (the database read once per choice), then redraw
  void redraw();       // the grid of the chosen statistic from rows_
  bool cell_at(const QPoint& pos, int64_t* layer, int* projection) const;
  QString db_path_;
  QComboBox *source_, *statistic_;
  QLabel* info_;
  QCustomPlot* plot_;
  QCPColorMap* map_;
  QCPColorScale* scale_;
  std::vector<LayerFigures> live_, rows_;
  LayerGrid grid_;
};

}  // namespace irq::ui
