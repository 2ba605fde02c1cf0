// fork-free local launcher of data-parallel ranks (see rank_launcher.h):
// posix_spawn with an environment per rank, waitpid polling, signal relay.
#include "dist/rank_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/error.h"
#include "runtime/threads.h"

extern char** environ;

namespace irq {

namespace {

volatile sig_atomic_t g_stop_signal = 0;

// After a rank fails, how long the launcher waits for the others' exits
// before it stops them (to name the rank that failed first).
constexpr std::chrono::seconds kSettle{2};

void on_stop_signal(int sig) { g_stop_signal = sig; }

// A listening socket on 127.0.0.1, port chosen by the kernel; not
// close-on-exec, so that rank 0 inherits it.
int bind_store_socket(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw make_error(ErrorKind::kIo, "data-parallel launcher", std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw make_error(ErrorKind::kIo, "data-parallel launcher", "cannot bind a port on 127.0.0.1 for the rendezvous: " + why);
  }
  *port = ntohs(a.sin_port);
  return fd;
}

bool launch_variable(const char* entry) {
  static const char* kNames[] = {"RANK=", "LOCAL_RANK=", "WORLD_SIZE=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
                                 "IRQLORA_MASTER_LISTEN_FD=", "IRQ_NUM_THREADS=", "OMP_NUM_THREADS=", "IRQLORA_LAUNCHED=",
                                 "TORCHELASTIC_USE_AGENT_STORE="};
  for (const char* n : kNames)
    if (std::strncmp(entry, n, std::strlen(n)) == 0) return true;
  return false;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "stopped";
}

int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

}  // namespace

RankExit run_local_ranks(const RankLaunch& launch) {
  if (launch.argv.empty() || launch.nproc < 1) throw make_error(ErrorKind::kUsage, "data-parallel launcher", "no command or no ranks");
  int port = 0;
  const int listen_fd = bind_store_socket(&port);
  const int threads = launch.threads_per_rank > 0 ? launch.threads_per_rank : std::max(1, usable_cores().usable / launch.nproc);

  std::vector<std::string> base;
  for (char** e = environ; *e; ++e)
    if (!launch_variable(*e)) base.emplace_back(*e);
  std::vector<char*> args;
  for (const auto& a : launch.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  struct sigaction sa{}, old_int{}, old_term{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  g_stop_signal = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  std::vector<pid_t> pids(static_cast<size_t>(launch.nproc), -1);
  std::vector<bool> running(pids.size(), false);
  auto stop_all = [&](int sig) {
    for (size_t r = 0; r < pids.size(); ++r)
      if (running[r]) ::kill(pids[r], sig);
  };
  RankExit out;
  try {
    for (int r = 0; r < launch.nproc; ++r) {
      std::vector<std::string> env = base;
      env.push_back("RANK=" + std::to_string(r));
      env.push_back("LOCAL_RANK=" + std::to_string(r));
      env.push_back("WORLD_SIZE=" + std::to_string(launch.nproc));
      env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(launch.nproc));
      env.push_back("MASTER_ADDR=127.0.0.1");
      env.push_back("MASTER_PORT=" + std::to_string(port));
      env.push_back("IRQ_NUM_THREADS=" + std::to_string(threads));
      env.push_back("OMP_NUM_THREADS=" + std::to_string(threads));
      env.push_back("IRQLORA_LAUNCHED=1");
      if (r == 0) env.push_back("IRQLORA_MASTER_LISTEN_FD=" + std::to_string(listen_fd));
      std::vector<char*> envp;
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      if (r != 0) posix_spawn_file_actions_addclose(&actions, listen_fd);
      pid_t pid = -1;
      const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
      posix_spawn_file_actions_destroy(&actions);
      if (rc != 0) throw make_error(ErrorKind::kIo, launch.argv[0], "cannot start rank " + std::to_string(r) + ": " + std::strerror(rc));
      pids[static_cast<size_t>(r)] = pid;
      running[static_cast<size_t>(r)] = true;
    }
  } catch (...) {
    ::close(listen_fd);
    stop_all(SIGKILL);
    for (size_t r = 0; r < pids.size(); ++r)
      if (running[r]) ::waitpid(pids[r], nullptr, 0);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    throw;
  }
  ::close(listen_fd);  // rank 0 holds it now

  size_t alive = pids.size();
  using Clock = std::chrono::steady_clock;
  Clock::time_point kill_at{}, settle_until{};
  bool stopping = false;
  struct Failure {
    int rank;
    int status;
  };
  std::vector<Failure> failures;  // in the order seen
  auto begin_stop = [&] {
    if (stopping) return;
    stopping = true;
    stop_all(SIGTERM);
    kill_at = Clock::now() + launch.grace;
  };
  while (alive > 0) {
    if (g_stop_signal && !stopping) {
      out.exit_code = 130;
      out.message = std::string("stopped by ") + strsignal(g_stop_signal);
      begin_stop();
    }
    if (stopping && Clock::now() >= kill_at) stop_all(SIGKILL);
    // After a first failure the peers usually fail too (their collective
    // breaks): wait briefly so that the rank that died first is the one
    // named, then stop the rest.
    if (!failures.empty() && !stopping && Clock::now() >= settle_until) begin_stop();
    bool reaped = false;
    for (size_t r = 0; r < pids.size(); ++r) {
      int status = 0;
      if (!running[r] || ::waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
      reaped = true;
      running[r] = false;
      --alive;
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !stopping) {
        if (failures.empty()) settle_until = Clock::now() + kSettle;
        failures.push_back({static_cast<int>(r), status});
      }
    }
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!failures.empty() && out.exit_code != 130) {
    // The cause: a rank killed by a signal (not by us) over ranks that
    // exited with an error because their peer vanished.
    auto cause = std::find_if(failures.begin(), failures.end(), [](const Failure& f) { return WIFSIGNALED(f.status); });
    if (cause == failures.end()) cause = failures.begin();
    out.failed_rank = cause->rank;
    out.exit_code = status_code(cause->status);
    const auto describe = [&](const Failure& f) {
      return "rank " + std::to_string(f.rank) + " (pid " + std::to_string(pids[static_cast<size_t>(f.rank)]) + ") " + describe_status(f.status);
    };
    out.message = describe(*cause);
    for (const auto& f : failures)
      if (&f != &*cause) out.message += "; then " + describe(f);
    std::fprintf(stderr, "irqlora: %s\n", out.message.c_str());
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return out;
}

}  // namespace irq
