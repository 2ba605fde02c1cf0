// Main window composition and model opening.
#include "main_window.h"

#include <QApplication>
#include <QDateTime>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLineEdit>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>

#include "evaluate_view.h"
#include "export_dialog.h"
#include "experiments_view.h"
#include "finetune_view.h"
#include "jobs_panel.h"
#include "io/hub_cache.h"
#include "model_browser.h"
#include "model_overview.h"
#include "heatmap_view.h"
#include "playground_view.h"
#include "quantize_view.h"
#include "weights_view.h"
#include "runs/runs_db.h"

namespace irq::ui {

namespace {
constexpr int kMaxRecent = 8;
const char* kRecentKey = "recentModels";
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      job_(new ModelLoadJob(this)),
      browser_(new ModelBrowser),
      overview_(new ModelOverview),
      tabs_(new QTabWidget),
      jobs_(new JobsPanel),
      weights_(new WeightsView(jobs_)),
      quantize_(new QuantizeView(jobs_)),
      heatmap_(new HeatmapView),
      playground_(new PlaygroundView(jobs_)),
      finetune_(new FinetuneView(jobs_)),
      evaluate_(new EvaluateView(jobs_)),
      experiments_(new ExperimentsView),
      log_(new QPlainTextEdit),
      busy_(new QProgressBar),
      status_(new QLabel) {
  setWindowTitle(tr("IR-QLoRA Workbench"));
  setAcceptDrops(true);
  resize(1280, 800);

  tabs_->setObjectName("main.tabs");  // for out-of-process tests (widget_probe.h)
  tabs_->addTab(overview_, tr("Model"));
  tabs_->addTab(weights_, tr("Weights"));
  tabs_->addTab(quantize_, tr("Quantize"));
  tabs_->addTab(heatmap_, tr("Heatmap"));
  tabs_->addTab(finetune_, tr("Finetune"));
  tabs_->addTab(evaluate_, tr("Evaluate"));
  tabs_->addTab(experiments_, tr("Experiments"));
  tabs_->addTab(playground_, tr("Playground"));
  setCentralWidget(tabs_);
  set_db_path(QString::fromStdString(RunsDb::default_path().string()));

  auto* browser_dock = new QDockWidget(tr("Model browser"), this);
  browser_dock->setObjectName("modelBrowserDock");
  browser_dock->setWidget(browser_);
  addDockWidget(Qt::LeftDockWidgetArea, browser_dock);
  resizeDocks({browser_dock}, {560}, Qt::Horizontal);

  auto* log_dock = new QDockWidget(tr("Log"), this);
  log_dock->setObjectName("logDock");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_dock->setWidget(log_);
  addDockWidget(Qt::BottomDockWidgetArea, log_dock);
  auto* jobs_dock = new QDockWidget(tr("Jobs"), this);
  jobs_dock->setObjectName("jobsDock");
  jobs_dock->setWidget(jobs_);
  addDockWidget(Qt::BottomDockWidgetArea, jobs_dock);
  tabifyDockWidget(log_dock, jobs_dock);
  log_dock->raise();
  resizeDocks({log_dock}, {140}, Qt::Vertical);
  connect(finetune_, &FinetuneView::log, this, &MainWindow::log);
  connect(experiments_, &ExperimentsView::log, this, &MainWindow::log);
  connect(finetune_, &FinetuneView::finished, this, [this] { experiments_->refresh(); });
  connect(weights_, &WeightsView::log, this, &MainWindow::log);
  connect(quantize_, &QuantizeView::log, this, &MainWindow::log);
  connect(evaluate_, &EvaluateView::log, this, &MainWindow::log);
  connect(quantize_, &QuantizeView::finished, this, [this](bool ok) {
    experiments_->refresh();
    if (ok) {
      heatmap_->refresh_runs();
      heatmap_->set_live(quantize_->outcome().stats);
    }
  });
  connect(evaluate_, &EvaluateView::finished, this, [this] { experiments_->refresh(); });
  connect(quantize_, &QuantizeView::settings_changed, this, [this](const QuantSettings& s) { weights_->set_settings(s); });
  const auto open_in_weights = [this](const QString& name) {
    tabs_->setCurrentWidget(weights_);
    weights_->inspect(name);
  };
  connect(quantize_, &QuantizeView::layer_chosen, this, open_in_weights);
  connect(heatmap_, &HeatmapView::layer_chosen, this, open_in_weights);

  busy_->setRange(0, 0);
  busy_->setMaximumWidth(160);
  busy_->hide();
  statusBar()->addWidget(status_, 1);
  statusBar()->addPermanentWidget(busy_);

  build_menus();
  connect(job_, &ModelLoadJob::started, this, [this](const QString& what) {
    status_->setText(tr("Loading %1 ...").arg(what));
    busy_->show();
    log(tr("loading %1").arg(what));
  });
  connect(job_, &ModelLoadJob::finished, this, &MainWindow::on_loaded);
  connect(browser_, &ModelBrowser::module_selected, this, [this](const QString& name) {
    if (!name.isEmpty()) status_->setText(name);
  });
}

MainWindow::~MainWindow() {
  // Closing with jobs running cancels them: the views below then wait only
  // for their cancel tokens to be seen (a step, a window, a layer).
  jobs_->cancel_all();
  job_->wait();
  finetune_->cancel();
  finetune_->wait();
  weights_->wait();
  quantize_->wait();
  evaluate_->wait();
  playground_->wait();
}

ExportDialog* MainWindow::open_export_dialog() {
  auto* d = new ExportDialog(current_dir_, db_path_, jobs_, this);
  d->setAttribute(Qt::WA_DeleteOnClose);
  connect(d, &ExportDialog::finished, this, [this](bool, const QString& text) {
    log(tr("export: %1").arg(text));
    experiments_->refresh();
  });
  d->show();
  return d;
}

void MainWindow::set_db_path(const QString& path) {
  db_path_ = path;
  finetune_->set_db_path(path);
  quantize_->set_db_path(path);
  heatmap_->set_db_path(path);
  evaluate_->set_db_path(path);
  experiments_->set_db_path(path);
  playground_->set_db_path(path);
}

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open model..."), QKeySequence::Open, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"), current_dir_);
    if (!dir.isEmpty()) open_model(dir);
  });
  file->addAction(tr("Open model by &name..."), this, [this] {
    bool ok = false;
    const QString id = QInputDialog::getText(this, tr("Open a model from the Hugging Face cache"),
                                             tr("Repo id (org/name), found offline in the local hub cache:"), QLineEdit::Normal, {}, &ok);
    if (ok && !id.trimmed().isEmpty()) open_model(id.trimmed());
  });
  file->addAction(tr("Open &demo model"), this, [this] { open_model(QString()); });
  file->addAction(tr("&Export..."), this, [this] { open_export_dialog(); });
  recent_menu_ = file->addMenu(tr("Open &recent"));
  rebuild_recent_menu();
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
}

void MainWindow::log(const QString& line) {
  log_->appendPlainText(QDateTime::currentDateTime().toString("hh:mm:ss ") + line);
}

void MainWindow::open_model(const QString& spec) {
  // A Hugging Face repo id ("org/name") opens its snapshot from the local hub cache.
  QString dir = spec;
  if (!spec.isEmpty() && !QFileInfo::exists(spec)) {
    try {
      dir = QString::fromStdString(irq::resolve_model_dir(spec.toStdString()).string());
    } catch (const std::exception& e) {
      LoadResult failed;  // shown as any failed open is
      failed.error = QString::fromStdString(e.what());
      on_loaded(failed);
      return;
    }
  }
  if (job_->running()) {
    log(tr("a model is still loading; %1 not opened").arg(dir));
    return;
  }
  load_pending_ = true;
  job_->start(dir);
}

void MainWindow::wait_for_load() {
  while (load_pending_) QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
}

void MainWindow::on_loaded(const LoadResult& r) {
  load_pending_ = false;
  busy_->hide();
  if (!r.error.isEmpty()) {
    last_error_ = r.error;
    status_->setText(tr("Could not open the model"));
    log(tr("error: %1").arg(r.error));
    Q_EMIT model_failed(r.error);
    if (!QApplication::platformName().startsWith("offscreen") && isVisible())
      QMessageBox::warning(this, tr("Could not open the model"), r.error);
    return;
  }
  summary_ = r.summary;
  has_model_ = true;
  last_error_.clear();
  current_dir_ = QString::fromStdString(summary_.dir);
  finetune_->set_model_dir(current_dir_);
  quantize_->set_model_dir(current_dir_);
  evaluate_->set_model_dir(current_dir_);
  weights_->set_model_dir(current_dir_);
  playground_->set_model_dir(current_dir_);
  browser_->show_summary(summary_);
  overview_->show_summary(summary_);
  setWindowTitle(tr("IR-QLoRA Workbench - %1").arg(QFileInfo(current_dir_).fileName()));
  status_->setText(tr("%1: %2 parameters, loaded in %3 s")
                       .arg(current_dir_, QString::fromStdString(format_count(summary_.total_params)))
                       .arg(r.seconds, 0, 'f', 2));
  log(tr("opened %1 (%2, %3 layers, %4 parameters) in %5 s")
          .arg(current_dir_, QString::fromStdString(summary_.architecture))
          .arg(summary_.num_layers)
          .arg(QString::fromStdString(format_count(summary_.total_params)))
          .arg(r.seconds, 0, 'f', 2));
  for (const auto& t : summary_.ignored_tensors) log(tr("unused checkpoint tensor %1").arg(QString::fromStdString(t)));
  remember_recent(current_dir_);
  Q_EMIT model_loaded(current_dir_);
}

void MainWindow::remember_recent(const QString& dir) {
  QSettings settings;
  QStringList recent = settings.value(kRecentKey).toStringList();
  recent.removeAll(dir);
  recent.prepend(dir);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue(kRecentKey, recent);
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  const QStringList recent = QSettings().value(kRecentKey).toStringList();
  for (const QString& dir : recent) recent_menu_->addAction(dir, this, [this, dir] { open_model(dir); });
  recent_menu_->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls[0].isLocalFile() && QFileInfo(urls[0].toLocalFile()).isDir()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (urls.size() == 1) open_model(urls[0].toLocalFile());
}

}  // namespace irq::ui
