// The Experiments tab's view of an ablation experiment (irqlora experiment
// ablation): pick its id, see the paper-style table (rows = method, columns =
// bits x metric, the best of each column in bold) pivoted from its tagged
// runs, and the training loss of every cell. Reads the runs database on the
// GUI thread (SQLite, no tensors).
#pragma once

#include <QWidget>

class QComboBox;
class QCustomPlot;
class QTableWidget;

namespace irq::ui {

class AblationPanel : public QWidget {
  Q_OBJECT
 public:
  explicit AblationPanel(QWidget* parent = nullptr);
  void set_db_path(const QString& path);  // reloads the experiment list
  void show_experiment(const QString& id);
  QComboBox* experiment_box() const { return box_; }
  QTableWidget* table() const { return table_; }
  QCustomPlot* loss_plot() const { return loss_; }
  // The shown experiment's report (experiments/ablation_grid.h) as "markdown",
  // "csv" or "latex"; "" when none is shown.
  QString report(const QString& format) const;
  // Writes the report to `file`, the format from its extension (.md, .csv,
  // .tex); throws irq::Error naming the file.
  void export_report(const QString& file) const;

 private:
  void fill(const QString& id);
  QString db_path_;
  QComboBox* box_;
  QTableWidget* table_;
  QCustomPlot* loss_;
  QString markdown_, csv_, latex_;
};

}  // namespace irq::ui
