// "Run on": where a job runs. In this process (the default), through the
// irqlora CLI on this machine (a separate process followed by its
// --progress jsonl events), or on another host over the system ssh client
// (type the destination, e.g. user@gpu1; the CLI there is "irqlora" unless
// given; paths in the form are the host's). The last two are remote jobs
// (jobs/remote_job.h): the run is recorded here with device remote:HOST.
// Destinations used before are offered again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <QWidget>

#include "jobs/remote_job.h"

class QComboBox;
class QLineEdit;

namespace irq::ui {

class RunOnForm : public QWidget {
  Q_OBJECT
 public:
  explicit RunOnForm(QWidget* parent = nullptr);
  // The request for `verb` with `args`, or nothing when the job runs in this process.
  std::optional<RemoteRequest> remote(const std::string& verb, std::vector<std::string> args, const std::string& model_dir,
                                      const std::string& db_path) const;
  // The same through the CLI on this machine, whatever is chosen (a job that
  // must run as its own processes: data-parallel ranks).
  RemoteRequest local(const std::string& verb, std::vector<std::string> args, const std::string& model_dir,
                      const std::string& db_path) const;
  // Keeps a typed ssh destination (and its CLI path) for the next time: the
  // list offers the last kRememberedHosts, newest first (QSettings runOn/hosts).
  void remember();
  bool in_process() const;  // "this process" is chosen
  static constexpr int kRememberedHosts = 10;
  // The CLI that "this machine" runs (default: irqlora beside the workbench, else on PATH).
  void set_local_cli(const QString& path) { local_cli_ = path; }
  QComboBox* target_box() const { return target_; }
  QLineEdit* program_edit() const { return program_; }

 private:
  QComboBox* target_;
  QLineEdit* program_;
  QString local_cli_;
};

}  // namespace irq::ui
