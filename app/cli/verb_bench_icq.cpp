// irqlora bench icq: quantization throughput (weights/s) of a format's fast
// path on a random normal matrix, against baselines measured in the same run
// on a smaller matrix, where the fast path is timed again so that each ratio
// compares the same matrix: the plugin's scalar reference (the oracle's algorithm,
// candidate by candidate, one thread) and, when python3 with numpy and
// icq_oracle.py are found (--oracle, $IRQ_ORACLE, ../shared/reference), the
// numpy oracle itself.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "cli/subprocess.h"
#include "cli/verbs.h"
#include "quant/quant_format.h"
#include "runtime/runtime.h"

namespace irq::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<float> random_weights(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (auto& x : w) x = dist(rng);
  return w;
}

double time_quantize(const QuantFormat& f, bool reference, const std::vector<float>& w, int64_t rows, int64_t cols,
                     const QuantSettings& s, LayerQuantStats* stats_out) {
  QuantJob job;
  job.weight = w.data();
  job.shape = {rows, cols};
  job.name = "bench";
  job.settings = s;
  QuantizedTensor q;
  LayerQuantStats stats;
  const auto t0 = Clock::now();
  (reference ? f.quantize_ref : f.quantize)(job, &q, &stats);
  const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
  if (stats_out) *stats_out = stats;
  return sec;
}

std::string find_oracle(const ParsedArgs& args) {
  if (args.has("oracle")) return args.str("oracle");
  if (const char* e = std::getenv("IRQ_ORACLE"); e && *e) return e;
  for (const char* p : {"../shared/reference/icq_oracle.py", "../../shared/reference/icq_oracle.py"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

// A python3 that has numpy: $IRQ_ORACLE_PYTHON, python3, /usr/bin/python3.
std::string python_with_numpy() {
  std::vector<std::string> candidates;
  if (const char* e = std::getenv("IRQ_ORACLE_PYTHON"); e && *e) candidates.push_back(e);
  candidates.push_back("python3");
  candidates.push_back("/usr/bin/python3");
  for (const auto& py : candidates)
    if (run_capture({py, "-c", "import numpy"}, {}, /*merge_stderr=*/true).ok()) return py;
  return "";
}

// Runs the numpy oracle as an argument vector (no shell: the path is passed
// as it is); returns its weights/s (0 when it cannot run).
double run_oracle(const std::string& oracle, const QuantSettings& s, int64_t rows, int64_t cols) {
  const std::string py = python_with_numpy();
  if (py.empty()) return 0;
  std::vector<std::string> argv = {py, oracle};
  if (s.method == "nf4") {
    argv.push_back("nf4");
  } else {
    argv.insert(argv.end(), {"int", "--bits", std::to_string(s.bits), "--group", std::to_string(s.block_size)});
  }
  char lam[32];
  std::snprintf(lam, sizeof lam, "%g", s.lambda);
  argv.insert(argv.end(), {"--rows", std::to_string(rows), "--cols", std::to_string(cols), "--n", std::to_string(s.n),
                           "--lam", lam});
  if (!s.icq) argv.push_back("--no-icq");
  const CapturedRun r = run_capture(argv, {}, /*merge_stderr=*/true);
  if (!r.ok()) return 0;
  double wps = 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (const size_t at = line.find(" s, "); at != std::string::npos) wps = std::atof(line.c_str() + at + 4);
  return wps;
}

int run_bench_icq(const ParsedArgs& args) {
  init_runtime();
  auto s = QuantSettings::for_method(args.str("method"));
  if (args.has("n")) s.n = static_cast<int>(args.integer("n"));
  if (args.has("group")) s.block_size = args.integer("group");
  s.lambda = args.number("lambda");
  s.icq = !args.flag("no-icq");
  s.validate();
  const QuantFormat& f = require_quant_format(s.method);
  const int64_t rows = args.integer("rows"), cols = args.integer("cols");
  const int64_t brows = args.integer("baseline-rows"), bcols = args.integer("baseline-cols");
  if (rows <= 0 || cols <= 0 || brows <= 0 || bcols <= 0) throw Error(ErrorKind::kUsage, "matrix sizes must be positive");

  std::printf("bench icq  %s, %d threads\n", s.label().c_str(), num_threads());
  const auto big = random_weights(rows, cols, 1);
  LayerQuantStats stats;
  time_quantize(f, false, random_weights(64, 1024, 2), 64, 1024, s, nullptr);  // warm-up
  const double fast = time_quantize(f, false, big, rows, cols, s, &stats);
  const double fast_wps = static_cast<double>(rows * cols) / fast;
  std::printf("  fast path        %6lld x %-6lld %10.3f s  %12.4g weights/s  (entropy %.4f -> %.4f bits, SQNR %.2f dB)\n",
              (long long)rows, (long long)cols, fast, fast_wps, stats.mean_entropy_plain, stats.mean_entropy, stats.sqnr_db);

  const auto small = random_weights(brows, bcols, 3);
  const double fast_small = time_quantize(f, false, small, brows, bcols, s, nullptr);
  const double ref = time_quantize(f, true, small, brows, bcols, s, nullptr);
  const double n_small = static_cast<double>(brows * bcols);
  std::printf("  fast path        %6lld x %-6lld %10.3f s  %12.4g weights/s\n", (long long)brows, (long long)bcols,
              fast_small, n_small / fast_small);
  std::printf("  C++ reference    %6lld x %-6lld %10.3f s  %12.4g weights/s  (oracle algorithm, 1 thread)\n",
              (long long)brows, (long long)bcols, ref, n_small / ref);
  // Ratios on the same (baseline) matrix: the large one's throughput differs by cache effects alone.
  std::printf("  ratio fast / C++ reference (same %lld x %lld matrix): %.1fx\n", (long long)brows, (long long)bcols, ref / fast_small);
  const std::string oracle = find_oracle(args);
  const double oracle_wps = oracle.empty() ? 0 : run_oracle(oracle, s, brows, bcols);
  if (oracle_wps > 0) {
    std::printf("  numpy oracle     %6lld x %-6lld              %12.4g weights/s  (%s)\n", (long long)brows, (long long)bcols,
                oracle_wps, oracle.c_str());
    std::printf("  ratio fast / numpy oracle (same matrix): %.1fx\n", (n_small / fast_small) / oracle_wps);
  } else {
    std::printf("  numpy oracle: not run (%s)\n", oracle.empty() ? "icq_oracle.py not found; pass --oracle PATH" : "python3/numpy failed");
  }
  return 0;
}

}  // namespace

Verb bench_icq_verb() {
  VerbSpec spec{"bench icq", "", "benchmark: quantization weights/s against the oracle, in the same run", {}, 0, 0};
  spec.options = {{"method", "M", "{quant_methods}", "nf4"},
                  {"rows", "R", "matrix rows", "4096"},
                  {"cols", "C", "matrix columns", "11008"},
                  {"n", "N", "candidates per side (default 100 for nf4, 50 for int)", ""},
                  {"lambda", "L", "search range", "0.1"},
                  {"group", "G", "block (nf4) or group (int) size", ""},
                  {"no-icq", "", "plain quantization (no entropy search)", ""},
                  {"baseline-rows", "R", "rows of the baseline matrix", "256"},
                  {"baseline-cols", "C", "columns of the baseline matrix", "512"},
                  {"oracle", "PATH", "icq_oracle.py to time as the numpy baseline", ""}};
  return {spec, &run_bench_icq};
}

}  // namespace irq::cli
