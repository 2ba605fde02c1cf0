// Named widgets' geometry and state as JSON for out-of-process GUI tests
// (see widget_probe.h).
#include "widget_probe.h"

#include <QAbstractButton>
#include <QAbstractSlider>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSaveFile>
#include <QSpinBox>
#include <QTabBar>
#include <QTabWidget>
#include <QTimer>
#include <qcustomplot.h>

namespace irq::ui {

namespace {

// How often the file is rewritten: fast enough for a test's polling.
constexpr int kProbeIntervalMs = 200;

QJsonObject rect_of(const QWidget* w, const QRect& local) {
  const QPoint origin = w->mapToGlobal(local.topLeft());
  return {{"x", origin.x()}, {"y", origin.y()}, {"w", local.width()}, {"h", local.height()}};
}

QJsonArray plot_texts(QCustomPlot* plot) {
  QJsonArray texts;
  for (int i = 0; i < plot->plotLayout()->elementCount(); ++i) {
    auto* e = plot->plotLayout()->elementAt(i);
    if (auto* t = qobject_cast<QCPTextElement*>(e)) texts.append(t->text());
    if (auto* s = qobject_cast<QCPColorScale*>(e)) texts.append(s->axis()->label());
    if (auto* r = qobject_cast<QCPAxisRect*>(e))
      for (auto* axis : r->axes())
        if (!axis->label().isEmpty()) texts.append(axis->label());
  }
  return texts;
}

QJsonObject describe(QWidget* w) {
  QJsonObject o{{"rect", rect_of(w, w->rect())}, {"visible", w->isVisible()}, {"enabled", w->isEnabled()}};
  if (auto* b = qobject_cast<QAbstractButton*>(w)) {
    o["text"] = b->text();
    o["checked"] = b->isChecked();
  } else if (auto* c = qobject_cast<QComboBox*>(w)) {
    o["text"] = c->currentText();
  } else if (auto* s = qobject_cast<QSpinBox*>(w)) {
    o["value"] = s->value();
  } else if (auto* d = qobject_cast<QDoubleSpinBox*>(w)) {
    o["value"] = d->value();
  } else if (auto* sl = qobject_cast<QAbstractSlider*>(w)) {
    o["value"] = sl->value();
  } else if (auto* l = qobject_cast<QLabel*>(w)) {
    o["text"] = l->text();
  } else if (auto* e = qobject_cast<QLineEdit*>(w)) {
    o["text"] = e->text();
  } else if (auto* pt = qobject_cast<QPlainTextEdit*>(w)) {
    o["text"] = pt->toPlainText();
  } else if (auto* t = qobject_cast<QTabWidget*>(w)) {
    o["text"] = t->tabText(t->currentIndex()).remove('&');
    QJsonArray tabs;
    for (int i = 0; i < t->count(); ++i)
      tabs.append(QJsonObject{{"text", t->tabText(i).remove('&')}, {"rect", rect_of(t->tabBar(), t->tabBar()->tabRect(i))}});
    o["tabs"] = tabs;
  } else if (auto* p = qobject_cast<QCustomPlot*>(w)) {
    o["texts"] = plot_texts(p);
    o["graphs"] = p->graphCount();
  }
  return o;
}

void write_probe(QWidget* root, const QString& path) {
  QJsonObject widgets;
  for (auto* w : root->findChildren<QWidget*>())
    if (!w->objectName().isEmpty() && w->objectName().contains('.')) widgets[w->objectName()] = describe(w);
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return;
  f.write(QJsonDocument(QJsonObject{{"widgets", widgets}}).toJson(QJsonDocument::Compact));
  f.commit();
}

}  // namespace

void install_widget_probe(QWidget* root) {
  const QString path = qEnvironmentVariable("IRQ_WIDGET_PROBE");
  if (path.isEmpty()) return;
  auto* timer = new QTimer(root);
  QObject::connect(timer, &QTimer::timeout, root, [root, path] { write_probe(root, path); });
  timer->start(kProbeIntervalMs);
}

}  // namespace irq::ui
