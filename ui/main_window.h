// The workbench main window: composes the model browser (left dock), the
// Model / Weights / Quantize / Finetune / Evaluate / Experiments tabs, the jobs area and the log panel
// (bottom docks); opens models by dialog, recent list or drag and drop,
// loading them in the background.
#pragma once

#include <QMainWindow>
#include <QStringList>

#include "model_load_job.h"

class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QTabWidget;

namespace irq::ui {

class EvaluateView;
class ExportDialog;
class ExperimentsView;
class FinetuneView;
class JobsPanel;
class ModelBrowser;
class ModelOverview;
class HeatmapView;
class PlaygroundView;
class QuantizeView;
class WeightsView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // "" opens the built-in demo model.
  void open_model(const QString& dir);
  bool loading() const { return load_pending_; }
  void wait_for_load();  // blocks until the current load has finished (tests, screenshots)

  ModelBrowser* browser() const { return browser_; }
  ModelOverview* overview() const { return overview_; }
  QTabWidget* tabs() const { return tabs_; }
  FinetuneView* finetune() const { return finetune_; }
  WeightsView* weights() const { return weights_; }
  QuantizeView* quantize() const { return quantize_; }
  HeatmapView* heatmap() const { return heatmap_; }
  PlaygroundView* playground() const { return playground_; }
  EvaluateView* evaluate() const { return evaluate_; }
  ExperimentsView* experiments() const { return experiments_; }
  JobsPanel* jobs() const { return jobs_; }
  // The runs database every view records into and reads (default: RunsDb::default_path()).
  void set_db_path(const QString& path);
  // File > Export for the open model (non-modal; deletes itself when closed).
  ExportDialog* open_export_dialog();
  const ModelSummary* summary() const { return has_model_ ? &summary_ : nullptr; }
  QString last_error() const { return last_error_; }
  void log(const QString& line);

 Q_SIGNALS:
  void model_loaded(const QString& dir);
  void model_failed(const QString& message);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void build_menus();
  void on_loaded(const LoadResult& result);
  void remember_recent(const QString& dir);
  void rebuild_recent_menu();

  ModelLoadJob* job_;
  ModelBrowser* browser_;
  ModelOverview* overview_;
  QTabWidget* tabs_;
  JobsPanel* jobs_;
  WeightsView* weights_;
  QuantizeView* quantize_;
  HeatmapView* heatmap_;
  PlaygroundView* playground_;
  FinetuneView* finetune_;
  EvaluateView* evaluate_;
  ExperimentsView* experiments_;
  QPlainTextEdit* log_;
  QProgressBar* busy_;
  QLabel* status_;
  QMenu* recent_menu_ = nullptr;
  ModelSummary summary_;
  bool has_model_ = false;
  bool load_pending_ = false;  // from open_model until on_loaded ran (the watcher's signal is queued)
  QString last_error_;
  QString current_dir_;
  QString db_path_;
};

}  // namespace irq::ui
