// A ProgressSink for terminals: a redrawn bar on a TTY, a line every 10% when
// stderr is a file or pipe (CI logs), at most ~10 redraws per second; with
// --progress jsonl, progress and message events instead (cli/event_stream.h).
#pragma once

#include <chrono>
#include <string>

#include "common/progress.h"

namespace irq::cli {

class ProgressBar final : public ProgressSink {
 public:
  ProgressBar();
  ~ProgressBar() override;
  void progress(const std::string& stage, int64_t done, int64_t total) override;
  void message(const std::string& text) override;
  void finish();  // ends the current bar line

 private:
  bool tty_;
  bool open_line_ = false;
  std::string stage_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace irq::cli
