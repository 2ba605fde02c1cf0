// Core budget (affinity, cgroup quota) and the one-time OpenMP environment.
#include "runtime/threads.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace irq {

namespace {

constexpr const char* kReexecMarker = "IRQ_THREADS_CONFIGURED";

// cgroup v2 "cpu.max" ("max 100000" or "150000 100000"), else v1's
// cfs_quota_us / cfs_period_us; 0 when there is no quota.
double cgroup_quota_cores() {
  std::string self;
  {
    std::ifstream cg("/proc/self/cgroup");
    std::string line;
    while (std::getline(cg, line))
      if (line.rfind("0::", 0) == 0) self = line.substr(3);
  }
  for (const std::string& dir : {"/sys/fs/cgroup" + self, std::string("/sys/fs/cgroup")}) {
    std::ifstream in(dir + "/cpu.max");
    std::string quota;
    double period = 0;
    if (in >> quota >> period && quota != "max" && period > 0) return std::atof(quota.c_str()) / period;
  }
  std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double quota = -1, period = 0;
  if (q >> quota && p >> period && quota > 0 && period > 0) return quota / period;
  return 0;
}

int positive_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return end && *end == '\0' && n > 0 && n < 4096 ? static_cast<int>(n) : 0;
}

}  // namespace

std::string CoreBudget::describe() const {
  std::ostringstream s;
  s << usable << (usable == 1 ? " core" : " cores") << " (affinity " << affinity << " of " << online << ", ";
  if (quota > 0) s << "cgroup quota " << quota << " cores)";
  else s << "no cgroup quota)";
  return s.str();
}

CoreBudget usable_cores() {
  CoreBudget b;
  b.online = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  cpu_set_t set;
  CPU_ZERO(&set);
  b.affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? std::max(1, CPU_COUNT(&set)) : b.online;
  b.quota = cgroup_quota_cores();
  b.usable = b.affinity;
  if (b.quota > 0) b.usable = std::min(b.usable, std::max(1, static_cast<int>(std::ceil(b.quota - 1e-9))));
  return b;
}

int engine_threads() {
  if (const int n = positive_env("IRQ_NUM_THREADS")) return n;
  return usable_cores().usable;
}

bool prepare_thread_environment(int& argc, char** argv) {
  // --threads N / --threads=N -> IRQ_NUM_THREADS (removed from argv).
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* value = nullptr;
    if (std::strcmp(a, "--threads") == 0 && i + 1 < argc) value = argv[++i];
    else if (std::strncmp(a, "--threads=", 10) == 0) value = a + 10;
    if (value) {
      setenv("IRQ_NUM_THREADS", value, /*overwrite=*/1);
      if (!positive_env("IRQ_NUM_THREADS")) {
        std::fprintf(stderr, "--threads %s: expected a positive integer; using every usable core\n", value);
        unsetenv("IRQ_NUM_THREADS");
      }
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = nullptr;

  if (std::getenv(kReexecMarker)) return false;  // already done (or given up) once
  setenv(kReexecMarker, "1", 1);
  bool changed = false;
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    changed = true;
  }
  const std::string threads = std::to_string(engine_threads());
  const char* omp = std::getenv("OMP_NUM_THREADS");
  if (!omp || (std::getenv("IRQ_NUM_THREADS") && threads != omp)) {
    setenv("OMP_NUM_THREADS", threads.c_str(), 1);
    changed = true;
  }
  return changed;
}

void configure_process_threads(int& argc, char** argv) {
  if (!prepare_thread_environment(argc, argv)) return;
  execv("/proc/self/exe", argv);
  std::fprintf(stderr, "warning: could not restart with OMP_WAIT_POLICY=PASSIVE (%s); idle threads will spin\n",
               std::strerror(errno));
}

}  // namespace irq
