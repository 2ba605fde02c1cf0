// Weights tab: for one linear layer, its full-precision weight histogram with
// the reconstruction levels of a chosen block overlaid (plain and ICQ); a
// block selector (spinbox/slider, jump to the largest entropy gain or error)
// showing the block's weights against both level sets, its code histogram
// plain vs ICQ, and ICQ's search on it (code entropy over the 2n+1 candidate
// offsets, the chosen one marked); and the distributions over all blocks of
// code entropy (plain vs ICQ), offset and error. Method, group, lambda and n
// sit above the plots: changing one re-quantizes the layer in a worker thread
// (debounced; a run still going is cancelled and its result dropped).
// Compare: a second setting on the same blocks (same group): another method
// (NF4 against INT4, INT3 against INT2, ...) or the same method with another
// lambda and n. Its ICQ levels, codes, search curve (on the top axis when its
// method searches another quantity), entropy and error are drawn beside the
// first setting's.
#pragma once

#include <memory>
#include <optional>

#include <QFutureWatcher>
#include <QWidget>

#include "jobs/quant_job.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QTimer;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;

namespace irq::ui {

class JobsPanel;

class WeightsView : public QWidget {
  Q_OBJECT
 public:
  explicit WeightsView(JobsPanel* jobs, QWidget* parent = nullptr);
  ~WeightsView() override;
  void set_model_dir(const QString& dir);  // fills the layer list
  void set_settings(const QuantSettings& s);  // shows them in the controls (no re-quantization)
  const QuantSettings& settings() const { return settings_; }
  // Quantizes `weight_name` plain and with ICQ in the background.
  void inspect(const QString& weight_name);
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }
  void show_block(int64_t block);
  void jump_to_largest_gain();
  void jump_to_largest_error();

  const LayerInspection* inspection() const { return data_ ? data_.get() : nullptr; }
  int64_t block() const;
  QComboBox* layer_box() const { return layer_; }
  QCustomPlot* weight_plot() const { return weights_; }
  QCustomPlot* block_plot() const { return block_; }
  QCustomPlot* code_plot() const { return codes_; }
  QCustomPlot* entropy_plot() const { return entropy_; }
  QCustomPlot* tau_plot() const { return tau_; }
  QCustomPlot* error_plot() const { return error_; }
  QCustomPlot* search_plot() const { return search_; }
  QComboBox* method_box() const { return method_; }
  QDoubleSpinBox* lambda_box() const { return lambda_; }
  QSpinBox* n_box() const { return n_; }
  QSpinBox* group_box() const { return group_; }
  QCheckBox* compare_box() const { return compare_; }
  QComboBox* compare_method_box() const { return method_b_; }  // "" data: the same method
  QDoubleSpinBox* compare_lambda_box() const { return lambda_b_; }
  QSpinBox* compare_n_box() const { return n_b_; }
  const LayerInspection* comparison() const { return data_b_ ? data_b_.get() : nullptr; }
  QString block_text() const;

 Q_SIGNALS:
  void inspected(const QString& weight_name);
  void log(const QString& line);

 private:
  void on_done();
  void draw_layer();
  void draw_search(int64_t block);
  void controls_changed();  // debounced: re-quantize the shown layer with the controls' settings
  // The compared setting from the compare controls (`s`'s group), or why it is invalid.
  std::optional<QuantSettings> compared_settings(const QuantSettings& s, QString* why) const;
  // The compared setting's name: brief for legends, else with "ICQ" and "lambda" spelled out.
  QString compared_name(bool brief) const;
  JobsPanel* jobs_;
  QString model_dir_;
  QuantSettings settings_;
  QComboBox* layer_;
  QPushButton* inspect_;
  QSpinBox* block_box_;
  QSlider* block_slider_;
  QLabel* info_;
  QCustomPlot *weights_, *block_, *codes_, *search_, *entropy_, *tau_, *error_;
  QComboBox* method_;
  QSpinBox *group_, *n_;
  QDoubleSpinBox* lambda_;
  QCheckBox* compare_;
  QComboBox* method_b_;
  QDoubleSpinBox* lambda_b_;
  QSpinBox* n_b_;
  QTimer* debounce_;
  std::shared_ptr<LayerInspection> data_, pending_;  // pending_: written by the worker, taken in on_done
  std::shared_ptr<LayerInspection> data_b_, pending_b_;  // the compared setting (compare on)
  QFutureWatcher<QString> watcher_;                  // "" on success, else the error
  std::shared_ptr<CancelToken> token_;               // of the running inspection
  QString rerun_;                                    // a layer to inspect once the superseded run ends
  int job_ = 0;
};

}  // namespace irq::ui
