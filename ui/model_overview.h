// Overview of the open model: its configuration and sizes as text, and a
// QCustomPlot bar chart of where the parameters are (embeddings, each
// projection kind summed over layers, norms, head), computed from the summary.
#pragma once

#include <QWidget>

#include "model/model_summary.h"

class QCustomPlot;
class QLabel;

namespace irq::ui {

// Parameter totals per leaf kind ("q_proj", "embed_tokens", ...), shared tensors once.
std::vector<std::pair<std::string, int64_t>> params_by_leaf_name(const ModuleNode& root);

class ModelOverview : public QWidget {
  Q_OBJECT
 public:
  explicit ModelOverview(QWidget* parent = nullptr);
  void show_summary(const ModelSummary& summary);
  void clear_model();
  QCustomPlot* plot() const { return plot_; }

 private:
  QLabel* text_;
  QCustomPlot* plot_;
};

}  // namespace irq::ui
