// What every workbench plot offers: drag to pan, wheel to zoom, a tooltip
// with the nearest data point, and a context menu that exports the picture
// (PNG, SVG, PDF) and the plotted numbers (CSV: one row per point, per graph).
#pragma once

class QCustomPlot;
class QString;

namespace irq::ui {

void make_interactive(QCustomPlot* plot);
// A new interactive plot with `title` above the axes (bold, `title_points`)
// and its legend below them (legend_below), so that neither the title is cut
// nor the legend covers data at small sizes.
QCustomPlot* titled_plot(const QString& title, const QString& x, const QString& y, int title_points, int legend_columns);
// Moves the legend out of the axes into a row below them (up to `columns`
// entries per line), so that it never covers data; shows it.
void legend_below(QCustomPlot* plot, int columns);
// The plotted numbers as CSV (graphs: "graph,x,y"; bar charts: "bars,key,value").
QString plot_csv(QCustomPlot* plot);
bool save_plot_csv(QCustomPlot* plot, const QString& file);
// SVG needs Qt SVG at build time; false (nothing written) without it.
bool svg_export_available();
bool save_plot_svg(QCustomPlot* plot, const QString& file);

}  // namespace irq::ui
