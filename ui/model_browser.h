// The model browser: a tree of the model's modules (decoder layers, their
// attention and MLP projections) with kind, weight shape, stored dtype and
// parameter count, filled from a plain-data ModelSummary.
#pragma once

#include <QStandardItemModel>
#include <QTreeView>

#include "model/model_summary.h"

namespace irq::ui {

class ModelBrowser : public QTreeView {
  Q_OBJECT
 public:
  enum Column { kName = 0, kKind, kShape, kDtype, kParams, kColumnCount };
  explicit ModelBrowser(QWidget* parent = nullptr);
  void show_summary(const ModelSummary& summary);
  void clear_model();
  QStandardItemModel* item_model() const { return model_; }
  // The HF module path of the current selection ("" when none).
  QString selected_module() const;

 Q_SIGNALS:
  void module_selected(const QString& hf_name);

 private:
  QStandardItemModel* model_;
};

}  // namespace irq::ui
