// Qt-free progress reporting and cancellation for long engine work.
// A job reports through a ProgressSink (the CLI prints a bar, the GUI forwards
// throttled snapshots through queued signals) and polls a CancelToken.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/error.h"

namespace irq {

class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Throws Error(kCancelled) once cancel() was called.
  void throw_if_cancelled(const std::string& what) const {
    if (cancelled()) throw Error(ErrorKind::kCancelled, what + ": cancelled");
  }

 private:
  std::atomic<bool> cancelled_{false};
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // `done` of `total` units of the stage `stage` (total 0: unknown).
  virtual void progress(const std::string& stage, int64_t done, int64_t total) = 0;
  virtual void message(const std::string& text) { (void)text; }
};

}  // namespace irq
