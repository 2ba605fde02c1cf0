// Starts the N ranks of a data-parallel job on this machine, as torchrun
// --standalone does: each rank is `argv` with RANK, LOCAL_RANK, WORLD_SIZE,
// LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (dist/dist_env.h), on a
// port the launcher has bound itself and hands to rank 0
// (IRQLORA_MASTER_LISTEN_FD), so no other program can take it in between.
// CPU threads are split between the ranks. The launcher then watches them:
// when one exits with an error or is killed, it says which (on stderr) and
// stops the others (SIGTERM, SIGKILL after a grace period); SIGINT/SIGTERM to
// the launcher reach every rank. Torch-free.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace irq {

struct RankLaunch {
  std::vector<std::string> argv;  // each rank's command (the first element: the program)
  int nproc = 1;
  int threads_per_rank = 0;       // 0: the usable cores / nproc (at least 1)
  std::chrono::seconds grace{10}; // SIGTERM to SIGKILL when stopping ranks
};

struct RankExit {
  int exit_code = 0;      // the job's: 0, the first failed rank's code, or 128 + signal
  int failed_rank = -1;   // -1: none
  std::string message;    // "rank 1 (pid 4242) was killed by signal 9 (Killed)"
};

// Runs the ranks to the end. Throws Error(kIo) when the port cannot be bound
// or a rank cannot be started (the ranks already started are stopped).
RankExit run_local_ranks(const RankLaunch& launch);

}  // namespace irq
