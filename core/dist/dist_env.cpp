// torchrun / Slurm variables into a DistEnv (see dist_env.h).
#include "dist/dist_env.h"

#include <cstdlib>
#include <string>

#include "common/error.h"

namespace irq {

namespace {

int integer_var(const std::function<const char*(const char*)>& get, const char* name, long lo, long hi) {
  const char* v = get(name);
  if (!v || !*v) throw make_error(ErrorKind::kUsage, name, "is not set (a data-parallel rank needs RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)");
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi)
    throw make_error(ErrorKind::kUsage, name, "'" + std::string(v) + "' is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

bool is_set(const std::function<const char*(const char*)>& get, const char* name) {
  const char* v = get(name);
  return v && *v;
}

}  // namespace

DistEnv dist_env_from(const std::function<const char*(const char*)>& get) {
  DistEnv e;
  const bool torchrun = is_set(get, "WORLD_SIZE") || is_set(get, "RANK");
  const bool slurm = !torchrun && is_set(get, "SLURM_NTASKS") && is_set(get, "SLURM_PROCID") && is_set(get, "MASTER_ADDR");
  if (!torchrun && !slurm) return e;
  constexpr long kMaxRanks = 1 << 20;
  e.world = integer_var(get, torchrun ? "WORLD_SIZE" : "SLURM_NTASKS", 1, kMaxRanks);
  e.rank = integer_var(get, torchrun ? "RANK" : "SLURM_PROCID", 0, e.world - 1);
  const char* local = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
  e.local_rank = is_set(get, local) ? integer_var(get, local, 0, kMaxRanks) : 0;
  if (!e.distributed()) return e;
  if (!is_set(get, "MASTER_ADDR")) throw make_error(ErrorKind::kUsage, "MASTER_ADDR", "is not set (the host of rank 0's rendezvous store)");
  e.master_addr = get("MASTER_ADDR");
  e.master_port = integer_var(get, "MASTER_PORT", 1, 65535);
  const char* agent = get("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && (std::string(agent) == "True" || std::string(agent) == "1" || std::string(agent) == "true");
  if (e.rank == 0 && is_set(get, "IRQLORA_MASTER_LISTEN_FD")) e.listen_fd = integer_var(get, "IRQLORA_MASTER_LISTEN_FD", 0, 1 << 20);
  return e;
}

DistEnv dist_env() {
  return dist_env_from([](const char* name) { return std::getenv(name); });
}

}  // namespace irq
