// Experiments tab: every run in the runs database in a sortable, filterable
// table (tags, notes, delete) with summary columns of what distinguishes runs
// (runs/run_summary.h; shown or hidden from the header's context menu,
// remembered), and for two or more selected runs a side by side comparison:
// overlaid loss curves (raw faint behind an EMA with a smoothing slider, x by
// step or by tokens, auto-ranged to keep every point), MMLU accuracy per
// category, per-layer code entropy after quantization, and a config diff
// showing only what differs; an ablation experiment as its paper-style table
// (ablation_panel.h). Reads the database on the GUI thread (SQLite queries, no tensors).
#pragma once

#include <vector>

#include <QWidget>

class QComboBox;
class QCustomPlot;
class QLineEdit;
class QSlider;
class QTableWidget;
class QTabWidget;

namespace irq::ui {
class AblationPanel;
}

namespace irq::ui {

class ExperimentsView : public QWidget {
  Q_OBJECT
 public:
  explicit ExperimentsView(QWidget* parent = nullptr);
  void set_db_path(const QString& path);
  QString db_path() const { return db_path_; }

  void refresh();                          // reloads the table
  void set_filter(const QString& text);    // hides rows without `text` in any column
  void compare(const std::vector<int64_t>& ids);  // fills the comparison tabs
  void select_runs(const std::vector<int64_t>& ids);
  std::vector<int64_t> selected_runs() const;
  void tag_selected(const QString& tag);
  void note_selected(const QString& note);
  void delete_selected();  // no confirmation (the button asks first)

  QTableWidget* table() const { return table_; }
  QTableWidget* diff_table() const { return diff_; }
  QCustomPlot* loss_plot() const { return loss_; }
  QSlider* smoothing_slider() const { return smoothing_; }  // 0..99: EMA weight in hundredths
  QComboBox* loss_x_box() const { return loss_x_; }         // "step" or "tokens"
  void set_column_visible(const QString& key, bool on);     // a summary column, remembered
  int column_of(const QString& key) const;                  // table column of a summary key
  QCustomPlot* mmlu_plot() const { return mmlu_; }
  QCustomPlot* entropy_plot() const { return entropy_; }
  QTabWidget* comparison() const { return tabs_; }
  AblationPanel* ablation() const { return ablation_; }
  QString error() const { return error_; }

 Q_SIGNALS:
  void log(const QString& line);

 private:
  void apply_filter();
  void draw_losses();  // from loss_runs_, with the slider's smoothing and the x choice
  void column_menu(const QPoint& pos);
  QString db_path_, error_;
  QLineEdit* filter_;
  QTableWidget* table_;
  QTabWidget* tabs_;
  QCustomPlot *loss_, *mmlu_, *entropy_;
  QSlider* smoothing_;
  QComboBox* loss_x_;
  struct LossCurve {
    QString label;
    std::vector<double> step, tokens, loss;  // tokens: cumulative, when recorded
  };
  std::vector<LossCurve> loss_runs_;
  QTableWidget* diff_;
  AblationPanel* ablation_;
};

}  // namespace irq::ui
