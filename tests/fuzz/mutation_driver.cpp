// irq-fuzz TARGET CORPUS_DIR [--seconds S] [--runs N] [--seed K] [--timeout S] [--crashes DIR]
// A deterministic mutation fuzzer for machines without libFuzzer (and for
// CTest, where it runs for a bounded time): every seed is run as it is, then
// mutants of the seeds (byte flips, byte sets, deletions, duplications,
// truncation, splices of two seeds, interesting numbers and JSON tokens
// written over or into the input), chosen by a seeded xorshift generator, so
// a run is reproduced by its seed. An input that throws anything but
// irq::Error, or crashes, is written to the crash folder and ends the run
// with exit 1 (an exception), 2 (a signal) or 3 (one input ran past
// --timeout seconds: a hang); 0 when nothing was found.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "common/error.h"
#include "fuzz_targets.h"

namespace fs = std::filesystem;

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

const char* const kTokens[] = {
    "-1", "0", "2147483648", "4294967296", "9223372036854775807", "18446744073709551616", "-9223372036854775809",
    "1e308", "1e-400", "NaN", "null", "true", "[]", "{}", "\"\"", "[[[[[[[[[[[[[[[[", "]]]]", "{\"a\":", "\"\\u0000\"",
    "\"\\ud800\"", "\xff\xfe", "\xc3\x28", ",", ":", "\"", "\\", "\n", "\r\n", "\"dtype\":\"F64\"", "\"shape\":[",
    "\"data_offsets\":[0,", "\"type\":\"BPE\"", "\"type\":\"Sequence\"", "\"merges\":[", "\"vocab\":{", "GGUF"};

std::string mutate(const std::string& in, const std::vector<std::string>& seeds, Rng& rng) {
  std::string s = in;
  const int rounds = 1 + static_cast<int>(rng.below(4));
  for (int r = 0; r < rounds; ++r) {
    const size_t pos = rng.below(s.size() + 1);
    switch (rng.below(9)) {
      case 0:  // flip a bit
        if (!s.empty()) s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8));
        break;
      case 1:  // set a byte to an edge value
        if (!s.empty()) s[rng.below(s.size())] = "\x00\x01\x7f\x80\xff"[rng.below(5)];
        break;
      case 2:  // delete a run
        if (pos < s.size()) s.erase(pos, 1 + rng.below(std::min<size_t>(64, s.size() - pos)));
        break;
      case 3:  // duplicate a run
        if (pos < s.size()) s.insert(pos, s.substr(pos, 1 + rng.below(64)));
        break;
      case 4:  // truncate
        s.resize(rng.below(s.size() + 1));
        break;
      case 5:  // splice with another seed
        if (!seeds.empty()) {
          const std::string& o = seeds[rng.below(seeds.size())];
          s = s.substr(0, pos) + o.substr(rng.below(o.size() + 1));
        }
        break;
      case 6:  // insert a token
        s.insert(pos, kTokens[rng.below(sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 7: {  // overwrite a number with an interesting one
        size_t d = s.find_first_of("0123456789", pos);
        if (d == std::string::npos) break;
        size_t e = s.find_first_not_of("0123456789", d);
        s.replace(d, (e == std::string::npos ? s.size() : e) - d, kTokens[rng.below(8)]);
        break;
      }
      case 8: {  // overwrite 8 bytes with a little-endian edge integer (binary headers)
        static const uint64_t kEdges[] = {0, 1, 0x7fffffffull, 0xffffffffull, 0x8000000000000000ull, ~0ull, 1ull << 40};
        const uint64_t v = kEdges[rng.below(7)];
        if (s.size() >= 8) std::memcpy(&s[rng.below(s.size() - 7)], &v, 8);
        break;
      }
    }
  }
  return s;
}

// The input being run, for the signal handler (written with write(2) only).
const std::string* g_current = nullptr;
std::string g_crash_path;

void on_signal(int sig) {
  const bool hang = sig == SIGALRM;
  if (g_current && !g_crash_path.empty()) {
    const int fd = ::open(g_crash_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = ::write(fd, g_current->data(), g_current->size());
      (void)ignored;
      ::close(fd);
    }
  }
  const char crash[] = "irq-fuzz: crashed on a signal; the input is in the crash folder\n";
  const char slow[] = "irq-fuzz: one input ran past --timeout (a hang); it is in the crash folder\n";
  ssize_t ignored = hang ? ::write(2, slow, sizeof slow - 1) : ::write(2, crash, sizeof crash - 1);
  (void)ignored;
  _exit(hang ? 3 : 2);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t fnv(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: irq-fuzz TARGET CORPUS_DIR [--seconds S] [--runs N] [--seed K] [--timeout S] [--crashes DIR]\ntargets:");
    for (const auto& t : irq::fuzz::targets()) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    return 64;
  }
  const auto* target = irq::fuzz::find_target(argv[1]);
  if (!target) {
    std::fprintf(stderr, "irq-fuzz: unknown target '%s'\n", argv[1]);
    return 64;
  }
  const fs::path corpus = argv[2];
  double seconds = 10;
  uint64_t runs = ~0ull, seed = 1;
  unsigned timeout = 10;
  fs::path crashes = fs::temp_directory_path() / "irq-fuzz-crashes";
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (k == "--runs") runs = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--crashes") crashes = argv[i + 1];
    else if (k == "--timeout") timeout = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "irq-fuzz: unknown option %s\n", k.c_str());
      return 64;
    }
  }
  std::vector<std::string> seeds;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(corpus, ec))
    if (e.is_regular_file()) seeds.push_back(read_all(e.path()));
  if (seeds.empty()) {
    std::fprintf(stderr, "irq-fuzz: %s: no seed files\n", corpus.c_str());
    return 64;
  }
  fs::create_directories(crashes, ec);
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGALRM}) ::signal(sig, on_signal);

  Rng rng{seed * 0x9E3779B97F4A7C15ull + 1};
  uint64_t executed = 0, accepted = 0, rejected = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::string input;
  for (uint64_t i = 0; i < runs; ++i) {
    if ((i & 15) == 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) break;
    input = i < seeds.size() ? seeds[i] : mutate(seeds[rng.below(seeds.size())], seeds, rng);
    char name[64];
    std::snprintf(name, sizeof name, "crash-%s-%016llx", target->name, static_cast<unsigned long long>(fnv(input)));
    g_crash_path = (crashes / name).string();
    g_current = &input;
    ::alarm(timeout);
    try {
      target->run(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      ++accepted;
    } catch (const irq::Error&) {
      ++rejected;  // the contract: a typed error naming the file
    } catch (const std::exception& e) {
      std::ofstream(g_crash_path, std::ios::binary).write(input.data(), static_cast<std::streamsize>(input.size()));
      std::fprintf(stderr, "irq-fuzz %s: input %llu threw %s (not irq::Error): %s\n  saved as %s\n", target->name,
                   static_cast<unsigned long long>(i), typeid(e).name(), e.what(), g_crash_path.c_str());
      return 1;
    }
    ++executed;
    if (i + 1 == seeds.size() && accepted == 0)
      std::fprintf(stderr, "irq-fuzz %s: note: no seed is accepted; mutants explore error paths only\n", target->name);
  }
  ::alarm(0);
  g_current = nullptr;
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("irq-fuzz %s: %llu inputs in %.1f s (%.0f/s), %zu seeds, %llu accepted, %llu rejected with irq::Error, 0 findings "
              "(seed %llu)\n",
              target->name, static_cast<unsigned long long>(executed), sec, executed / std::max(sec, 1e-9), seeds.size(),
              static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(rejected),
              static_cast<unsigned long long>(seed));
  return 0;
}
