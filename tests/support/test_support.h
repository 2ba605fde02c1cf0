// Helpers shared by the tests: fixture paths, the optional ../shared data
// folder, scratch directories, and tensor comparison with a printed report
// (first values and the max difference, as llm.c's tests print them).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <torch/torch.h>

#include "common/error.h"
#include "support/test_registry.h"

namespace irq::test {

inline std::filesystem::path fixtures() { return IRQ_FIXTURES_DIR; }

// ../shared/data (or $IRQ_SHARED_DATA); empty when absent.
inline std::filesystem::path shared_data() {
  if (const char* env = std::getenv("IRQ_SHARED_DATA"); env && *env) return env;
  const std::filesystem::path p = std::filesystem::path(IRQ_SHARED_DIR) / "data";
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A GUI test's own settings, demo folder and CLI runs database under `dir`:
// never the user's (QSettings, IRQ_DEMO_DIR, IRQ_RUNS_DB).
inline void isolate_user_state(const QString& dir) {
  QCoreApplication::setOrganizationName("irqlora-test");
  qputenv("XDG_CONFIG_HOME", (dir + "/config").toUtf8());
  qputenv("IRQ_DEMO_DIR", (dir + "/demo").toUtf8());
  // the CLIs that jobs run "on a host" record into their default database: a scratch one, not the user's
  qputenv("IRQ_RUNS_DB", (dir + "/cli-default-runs.sqlite").toUtf8());
}

// Max |a - b| with a printed report; both are converted to float64 on CPU.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  auto x = a.to(torch::kCPU, torch::kFloat64).flatten();
  auto y = b.to(torch::kCPU, torch::kFloat64).flatten();
  if (x.numel() != y.numel()) {
    qWarning("%s: %lld vs %lld values", what, static_cast<long long>(x.numel()), static_cast<long long>(y.numel()));
    return INFINITY;
  }
  const double d = (x - y).abs().max().item<double>();
  std::string first;
  for (int64_t i = 0; i < std::min<int64_t>(3, x.numel()); ++i)
    first += (i ? " " : "") + std::to_string(x[i].item<double>()) + "/" + std::to_string(y[i].item<double>());
  qInfo("%s: first values %s, max |diff| %.3g", what, first.c_str(), d);
  return d;
}

// Runs `fn`, expects an irq::Error of `kind` whose message contains every `needles` entry.
template <typename Fn>
bool throws_error(Fn&& fn, irq::ErrorKind kind, std::initializer_list<std::string> needles) {
  try {
    fn();
  } catch (const irq::Error& e) {
    const std::string msg = e.what();
    bool ok = e.kind() == kind;
    for (const auto& n : needles) ok = ok && msg.find(n) != std::string::npos;
    if (!ok) qWarning("unexpected error (kind %s): %s", irq::error_kind_name(e.kind()), msg.c_str());
    return ok;
  }
  qWarning("no error was thrown");
  return false;
}

}  // namespace irq::test
