// What every workbench plot offers: drag to pan, wheel to zoom, a tooltip
// with the nearest data point, and a context menu that exports the picture
// (PNG, PDF) and the plotted numbers (CSV: one row per point, per graph).
#pragma once

class QCustomPlot;
class QString;

namespace irq::ui {

void make_interactive(QCustomPlot* plot);
// The plotted numbers as CSV (graphs: "graph,x,y"; bar charts: "bars,key,value").
QString plot_csv(QCustomPlot* plot);
bool save_plot_csv(QCustomPlot* plot, const QString& file);

}  // namespace irq::ui
