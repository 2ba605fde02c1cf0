// The engine's thread model, one for the CLI, the workbench and the tests:
// - one pool: LibTorch's intra-op OpenMP team runs torch's operators and the
//   engine's own loops (common/parallel.h is at::parallel_for);
// - idle threads sleep instead of spinning: OpenMP's passive wait policy.
//   libgomp reads OMP_WAIT_POLICY and OMP_NUM_THREADS once, when it is loaded
//   (before main), so configure_process_threads() sets them and re-executes
//   the program once when they are missing;
// - as many threads as the cores this process may really use: its affinity
//   mask and its cgroup CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us), unless
//   --threads / IRQ_NUM_THREADS says otherwise.
// Spinning OpenMP threads on a machine with one busy neighbour core made
// prefill 150x slower (issue 16); passive threads lose about half, as the
// core count they get does.
#pragma once

#include <string>

namespace irq {

struct CoreBudget {
  int online = 1;        // cores of the machine
  int affinity = 1;      // cores in this process's affinity mask
  double quota = 0;      // cgroup CPU quota in cores; 0 = none
  int usable = 1;        // min(affinity, ceil(quota)), at least 1
  std::string describe() const;  // "2 cores (affinity 2 of 2, no cgroup quota)"
};

CoreBudget usable_cores();

// The engine's thread count: IRQ_NUM_THREADS when set (> 0), else usable cores.
int engine_threads();

// Call first in main(), before any thread starts: takes "--threads N" (or
// "--threads=N") out of argv into IRQ_NUM_THREADS, then makes sure the
// OpenMP runtime starts passive with engine_threads() threads, re-executing
// the program (/proc/self/exe, same arguments) when the variables were
// missing. A user's own OMP_WAIT_POLICY / OMP_NUM_THREADS are kept. Returns
// normally when nothing needs doing or exec fails (then it warns once).
void configure_process_threads(int& argc, char** argv);

// The same without the re-execution, for a launcher that starts the engine
// itself: returns whether the environment had to change.
bool prepare_thread_environment(int& argc, char** argv);

}  // namespace irq
