// Where this process stands in a data-parallel job, from the environment a
// launcher sets: torchrun's RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
// MASTER_PORT (also what `irqlora finetune --nproc N` sets for its ranks), or
// Slurm's SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID with MASTER_ADDR and
// MASTER_PORT from the batch script (srun starts every rank itself).
// IRQLORA_MASTER_LISTEN_FD: a socket the local launcher already bound for
// rank 0's rendezvous store (no race for the port).
// TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent already serves the
// store on MASTER_PORT, and every rank, rank 0 too, connects to it. Torch-free.
#pragma once

#include <functional>
#include <string>

namespace irq {

struct DistEnv {
  int rank = 0, world = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int listen_fd = -1;  // rank 0 only: the store's bound socket, or -1
  bool agent_store = false;  // torchrun's agent serves the store: no rank does
  bool distributed() const { return world > 1; }
};

// Reads the variables through `get` (std::getenv by default). No variables:
// a single process. Throws Error(kUsage) naming the variable that is missing,
// malformed or out of range (RANK >= WORLD_SIZE, a port outside 1..65535).
DistEnv dist_env_from(const std::function<const char*(const char*)>& get);
DistEnv dist_env();

}  // namespace irq
