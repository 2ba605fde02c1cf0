// Terminal progress bar.
#include "cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>

#include "cli/event_stream.h"

namespace irq::cli {

ProgressBar::ProgressBar() : tty_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::finish() {
  if (open_line_) std::fputc('\n', stderr);
  open_line_ = false;
}

void ProgressBar::message(const std::string& text) {
  if (events::enabled()) return events::emit("message", {{"text", text}});
  finish();
  std::fprintf(stderr, "%s\n", text.c_str());
}

void ProgressBar::progress(const std::string& stage, int64_t done, int64_t total) {
  if (events::enabled()) return events::progress(stage, done, total);
  const auto now = std::chrono::steady_clock::now();
  if (stage != stage_) {
    finish();
    stage_ = stage;
    last_decile_ = -1;
    start_ = now;
  }
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const bool last = total > 0 && done >= total;
  if (!tty_) {  // logs: a line every 10% once the work has run for a second
    const int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_ || elapsed < 1.0) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%, %.1fs)\n", stage.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total), 100 * frac, elapsed);
    return;
  }
  if (elapsed < 0.3 && !open_line_) return;  // no flashing bar for instant work
  if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1fs eta %.1fs ", stage.c_str(), bar.c_str(), static_cast<long long>(done),
               static_cast<long long>(total), elapsed, eta);
  open_line_ = true;
  if (last) finish();
}

}  // namespace irq::cli
