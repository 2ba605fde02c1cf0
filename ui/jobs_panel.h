// The jobs area: one row per background job (title, progress bar, status,
// Cancel). Views add their jobs here and update them from the GUI thread.
#pragma once

#include <functional>
#include <map>

#include <QWidget>

class QVBoxLayout;

namespace irq::ui {

class JobsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit JobsPanel(QWidget* parent = nullptr);
  // Returns the job's id; `cancel` runs when the user presses Cancel.
  int add(const QString& title, std::function<void()> cancel);
  void progress(int id, int64_t done, int64_t total, const QString& status);
  void finish(int id, const QString& outcome);  // keeps the row, without Cancel
  int running() const;
  QString status_text(int id) const;

 private:
  struct Row;
  QVBoxLayout* rows_;
  std::map<int, Row*> jobs_;
  int next_ = 1;
};

}  // namespace irq::ui
