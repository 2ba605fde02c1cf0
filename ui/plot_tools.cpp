// Pan/zoom, tooltips and export for QCustomPlot views.
#include "plot_tools.h"

#include <QFile>
#include <QFileDialog>
#include <QMenu>
#include <QTextStream>
#include <QToolTip>

#include <qcustomplot.h>

#ifdef IRQ_HAVE_QT_SVG
#include <QSvgGenerator>
#endif

namespace irq::ui {

QString plot_csv(QCustomPlot* plot) {
  QString out = "series,x,y\n";
  for (int i = 0; i < plot->plottableCount(); ++i) {
    auto* p = plot->plottable(i);
    const QString name = p->name().isEmpty() ? QString("series%1").arg(i) : p->name();
    auto quote = [](QString s) { return s.contains(',') || s.contains('"') ? "\"" + s.replace("\"", "\"\"") + "\"" : s; };
    if (auto* g = qobject_cast<QCPGraph*>(p)) {
      for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
        out += QString("%1,%2,%3\n").arg(quote(name)).arg(it->key, 0, 'g', 10).arg(it->value, 0, 'g', 10);
    } else if (auto* b = qobject_cast<QCPBars*>(p)) {
      for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it)
        out += QString("%1,%2,%3\n").arg(quote(name)).arg(it->key, 0, 'g', 10).arg(it->value, 0, 'g', 10);
    }
  }
  return out;
}

bool save_plot_svg(QCustomPlot* plot, const QString& file) {
#ifdef IRQ_HAVE_QT_SVG
  QSvgGenerator svg;
  svg.setFileName(file);
  svg.setSize(plot->size());
  svg.setViewBox(QRect(QPoint(0, 0), plot->size()));
  svg.setTitle(file);
  QCPPainter painter;
  if (!painter.begin(&svg)) return false;
  plot->toPainter(&painter, plot->width(), plot->height());
  return painter.end();
#else
  (void)plot;
  (void)file;
  return false;
#endif
}

bool svg_export_available() {
#ifdef IRQ_HAVE_QT_SVG
  return true;
#else
  return false;
#endif
}

bool save_plot_csv(QCustomPlot* plot, const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
  QTextStream(&f) << plot_csv(plot);
  return f.error() == QFile::NoError;
}

void legend_below(QCustomPlot* plot, int columns) {
  plot->legend->setVisible(true);
  plot->legend->setFont(QFont("sans", 8));
  // QCustomPlot: "columns first" fills a line left to right and wraps to the
  // next line after `wrap` entries.
  plot->legend->setWrap(columns);
  plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
  plot->legend->setBorderPen(Qt::NoPen);
  plot->legend->setRowSpacing(0);
  auto* below = new QCPLayoutGrid;
  const int row = plot->plotLayout()->rowCount();
  plot->plotLayout()->addElement(row, 0, below);
  below->setMargins(QMargins(4, 0, 4, 2));
  below->addElement(0, 0, plot->legend);
  // An empty legend's maximum width is its margins, and a layout column is
  // no wider than its narrowest element allows: without this filler beside
  // it, a plot with no curves yet shrank to a sliver (seen in a real window).
  below->addElement(0, 1, new QCPLayoutElement(plot));
  below->setColumnStretchFactor(1, 0.001);
  plot->plotLayout()->setRowStretchFactor(row, 0.001);
}

QCustomPlot* titled_plot(const QString& title, const QString& x, const QString& y, int title_points, int legend_columns) {
  auto* p = new QCustomPlot;
  p->plotLayout()->insertRow(0);
  p->plotLayout()->addElement(0, 0, new QCPTextElement(p, title, QFont("sans", title_points, QFont::Bold)));
  p->xAxis->setLabel(x);
  p->yAxis->setLabel(y);
  legend_below(p, legend_columns);
  make_interactive(p);
  return p;
}

void make_interactive(QCustomPlot* plot) {
  plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot->setContextMenuPolicy(Qt::CustomContextMenu);
  QObject::connect(plot, &QCustomPlot::customContextMenuRequested, plot, [plot](const QPoint& at) {
    QMenu menu(plot);
    menu.addAction(QObject::tr("Reset view"), plot, [plot] {
      plot->rescaleAxes();
      plot->replot();
    });
    menu.addSeparator();
    menu.addAction(QObject::tr("Export PNG..."), plot, [plot] {
      const QString f = QFileDialog::getSaveFileName(plot, QObject::tr("Export PNG"), "plot.png", "PNG (*.png)");
      if (!f.isEmpty()) plot->savePng(f, 0, 0, 2.0);
    });
    if (svg_export_available())
      menu.addAction(QObject::tr("Export SVG..."), plot, [plot] {
        const QString f = QFileDialog::getSaveFileName(plot, QObject::tr("Export SVG"), "plot.svg", "SVG (*.svg)");
        if (!f.isEmpty()) save_plot_svg(plot, f);
      });
    menu.addAction(QObject::tr("Export PDF (vector)..."), plot, [plot] {
      const QString f = QFileDialog::getSaveFileName(plot, QObject::tr("Export PDF"), "plot.pdf", "PDF (*.pdf)");
      if (!f.isEmpty()) plot->savePdf(f);
    });
    menu.addAction(QObject::tr("Export data as CSV..."), plot, [plot] {
      const QString f = QFileDialog::getSaveFileName(plot, QObject::tr("Export CSV"), "plot.csv", "CSV (*.csv)");
      if (!f.isEmpty()) save_plot_csv(plot, f);
    });
    menu.exec(plot->mapToGlobal(at));
  });
  QObject::connect(plot, &QCustomPlot::mouseMove, plot, [plot](QMouseEvent* e) {
    double best = 12.0;  // pixels
    QString text;
    for (int i = 0; i < plot->graphCount(); ++i) {
      auto* g = plot->graph(i);
      if (!g->visible() || g->data()->isEmpty()) continue;
      const double key = g->keyAxis()->pixelToCoord(e->pos().x());
      auto it = g->data()->findBegin(key);
      for (auto j = it == g->data()->constBegin() ? it : it - 1; j != g->data()->constEnd() && j <= it + 1; ++j) {
        const double dx = g->keyAxis()->coordToPixel(j->key) - e->pos().x();
        const double dy = g->valueAxis()->coordToPixel(j->value) - e->pos().y();
        const double d = std::sqrt(dx * dx + dy * dy);
        if (d < best) {
          best = d;
          text = QString("%1\n%2 = %3\n%4 = %5")
                     .arg(g->name(), g->keyAxis()->label().isEmpty() ? "x" : g->keyAxis()->label())
                     .arg(j->key, 0, 'g', 6)
                     .arg(g->valueAxis()->label().isEmpty() ? "y" : g->valueAxis()->label())
                     .arg(j->value, 0, 'g', 6);
        }
      }
    }
    if (text.isEmpty()) QToolTip::hideText();
    else QToolTip::showText(plot->mapToGlobal(e->pos()), text, plot);
  });
}

}  // namespace irq::ui
