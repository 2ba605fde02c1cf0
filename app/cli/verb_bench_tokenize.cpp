// irqlora bench tokenize MODEL_DIR --file F [--python PY]: encode throughput
// of the model's tokenizer, single-threaded, line by line, against the PyPI
// `tokenizers` package on the same lines in the same run (its Rust encoder
// through encode_batch with RAYON_NUM_THREADS=1, so neither side gets more
// than one core), and whether the two give the same ids (a hash of all ids).
// The comparison is skipped with a message when PY cannot import tokenizers.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/subprocess.h"
#include "cli/verbs.h"
#include "common/error.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

extern char** environ;

namespace irq::cli {

namespace {

constexpr const char* kReferenceScript = R"(
import os, sys, time
try:
    from tokenizers import Tokenizer
except ImportError:
    print("missing"); sys.exit(0)
d, f, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
lines = open(f, "rb").read().decode("utf-8", errors="replace").split("\n")
best = 1e30
for _ in range(reps):
    t = time.perf_counter(); enc = tok.encode_batch(lines, add_special_tokens=True); best = min(best, time.perf_counter() - t)
h = 0xCBF29CE484222325
for e in enc:
    for i in e.ids + [-1]:
        for b in (i & 0xFFFFFFFF).to_bytes(4, "little"):
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
print(best, sum(len(e.ids) for e in enc), format(h, "016x"))
)";

uint64_t fnv1a(const std::vector<std::vector<int64_t>>& docs) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& ids : docs) {
    auto eat = [&](int32_t v) {
      for (int k = 0; k < 4; ++k) h = (h ^ static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * k))) * 0x100000001B3ull;
    };
    for (int64_t id : ids) eat(static_cast<int32_t>(id));
    eat(-1);
  }
  return h;
}

int run_bench_tokenize(const ParsedArgs& args) {
  const std::filesystem::path dir = args.positional.at(0);
  const std::string file = args.str("file");
  if (file.empty()) throw make_error(ErrorKind::kUsage, "bench tokenize", "--file is required");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw make_error(ErrorKind::kNotFound, file, "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = utf8::repair(ss.str());
  std::vector<std::string> lines;
  for (size_t p = 0;;) {
    const size_t e = text.find('\n', p);
    lines.push_back(text.substr(p, e == std::string::npos ? std::string::npos : e - p));
    if (e == std::string::npos) break;
    p = e + 1;
  }
  const auto tok = open_tokenizer(dir);
  const int64_t reps = std::max<int64_t>(1, args.integer("repeats"));
  std::vector<std::vector<int64_t>> ids(lines.size());
  double best = 1e30;
  for (int64_t r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < lines.size(); ++i) ids[i] = tok->encode(lines[i], /*add_special=*/true);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  size_t count = 0;
  for (const auto& v : ids) count += v.size();
  const double mb = static_cast<double>(text.size()) / 1e6;
  std::printf("bench tokenize  %s  (%s), %s: %.2f MB in %zu lines, best of %lld, one thread\n", dir.c_str(), tok->kind().c_str(),
              file.c_str(), mb, lines.size(), (long long)reps);
  std::printf("  engine                 %8.3f s  %7.2f MB/s  %10zu ids\n", best, mb / best, count);
  if (!std::filesystem::exists(dir / "tokenizer.json")) {
    std::printf("  tokenizers package     skipped: %s has no tokenizer.json\n", dir.c_str());
    return 0;
  }
  const CapturedRun ref = run_capture({args.str("python"), "-c", kReferenceScript, dir.string(), file, std::to_string(reps)},
                                      {"RAYON_NUM_THREADS=1", "TOKENIZERS_PARALLELISM=false"});
  const std::string out = ref.ok() ? ref.output : "";
  if (out.empty() || out.rfind("missing", 0) == 0) {
    std::printf("  tokenizers package     skipped: '%s' cannot import tokenizers (pip install tokenizers in a venv, then --python)\n",
                args.str("python").c_str());
    return 0;
  }
  double ref_s = 0;
  size_t ref_count = 0;
  char hash[32] = {0};
  std::sscanf(out.c_str(), "%lf %zu %31s", &ref_s, &ref_count, hash);
  char ours[17];
  std::snprintf(ours, sizeof ours, "%016llx", static_cast<unsigned long long>(fnv1a(ids)));
  std::printf("  tokenizers (Rust)      %8.3f s  %7.2f MB/s  %10zu ids\n", ref_s, mb / ref_s, ref_count);
  std::printf("  ratio engine / tokenizers: %.2fx the speed (goal >= 1.0); ids %s\n", ref_s / best,
              std::string(hash) == ours ? "identical" : "DIFFER");
  return std::string(hash) == ours ? 0 : 1;
}

}  // namespace

Verb bench_tokenize_verb() {
  VerbSpec spec{"bench tokenize", "MODEL_DIR", "benchmark: encode throughput against the tokenizers package, same text, same run", {}, 1, 1};
  spec.options = {{"file", "F", "text to encode, line by line", ""},
                  {"repeats", "N", "repetitions; the best is reported", "3"},
                  {"python", "PY", "a Python with the tokenizers package (for the comparison)", "python3"}};
  return {spec, &run_bench_tokenize};
}

}  // namespace irq::cli
