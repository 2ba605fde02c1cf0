// Playground tab: try the model. A prompt, sampling settings (max new
// tokens, temperature, top-k, top-p, seed), and two panes that each pick a
// base (as stored, quantized on load with ICQ, or the exact setting of any
// quantize run recorded in the runs database) and an optional adapter (typed,
// or the adapter of a recorded finetune run, whose base it rebuilds);
// Generate runs pane A, then pane B when it is on, in a worker thread
// (jobs/generate_job.h), streaming the continuations into the panes at most
// 20 times a second, with tokens/s per pane. When the model's tokenizer
// files hold a chat template (text/chat_template.h), "Chat template" sends
// the prompt as the user's message in it, after an optional system message;
// the panes show the rendered template (special tokens included) and the reply.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <QFutureWatcher>
#include <QWidget>

#include "jobs/generate_job.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace irq {
class ChatTemplate;
}

namespace irq::ui {

class JobsPanel;

class PlaygroundView : public QWidget {
  Q_OBJECT
 public:
  explicit PlaygroundView(JobsPanel* jobs, QWidget* parent = nullptr);
  ~PlaygroundView() override;
  // Also reads the directory's chat template, if any (one small JSON or
  // .jinja file): "Chat template" is offered when there is one.
  void set_model_dir(const QString& dir);
  // The runs database whose quantize runs (bases) and finetune runs
  // (adapters) the panes offer; read again whenever the tab is shown.
  void set_db_path(const QString& path);
  void refresh_runs();
  GenerateRequest request(int pane) const;  // 0: A, 1: B
  bool start();                             // false (message shown) when invalid or running
  bool running() const { return watcher_.isRunning(); }
  void wait() { watcher_.waitForFinished(); }
  QPlainTextEdit* prompt_edit() const { return prompt_; }
  QSpinBox* max_tokens_box() const { return max_tokens_; }
  QComboBox* base_box(int pane) const { return panes_[pane].base; }
  QComboBox* adapter_run_box(int pane) const { return panes_[pane].adapter_run; }
  QLineEdit* adapter_edit(int pane) const { return panes_[pane].adapter; }
  QCheckBox* compare_box() const { return compare_; }
  QCheckBox* chat_box() const { return chat_; }
  QLineEdit* system_edit() const { return system_; }
  QString output(int pane) const;
  const GenerateOutcome& outcome(int pane) const { return outcomes_[pane]; }
  QString message() const;

 Q_SIGNALS:
  void finished(bool ok, const QString& message);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  struct Pane {
    QComboBox* base = nullptr;
    QLineEdit* adapter = nullptr;
    QComboBox* adapter_run = nullptr;  // finetune runs with an adapter: fills `adapter`
    QPlainTextEdit* output = nullptr;
    QLabel* stats = nullptr;
  };
  QWidget* make_pane(const QString& title, Pane* pane);
  void flush();  // moves streamed text into the panes (GUI thread, timer)
  void on_done();
  JobsPanel* jobs_;
  QString model_dir_, db_path_;
  std::map<int64_t, QuantSettings> recorded_;  // quantize run id -> its setting
  QPlainTextEdit* prompt_;
  QSpinBox *max_tokens_, *top_k_, *seed_;
  QDoubleSpinBox *temperature_, *top_p_;
  QComboBox* device_;
  QCheckBox *compare_, *chat_;
  QLineEdit* system_;
  std::shared_ptr<const ChatTemplate> chat_template_;  // the model's, or null
  QPushButton* start_;
  QLabel* errors_;
  Pane panes_[2];
  QTimer* timer_;
  std::mutex mutex_;            // guards streamed_
  QString streamed_[2];         // text produced by the worker, not yet shown
  GenerateOutcome outcomes_[2];
  QFutureWatcher<QString> watcher_;
  int job_ = 0;
};

}  // namespace irq::ui
