// posix_spawnp with two pipes, read with poll(); see child_process.h.
#include "common/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

extern char** environ;

namespace irq {

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw make_error(ErrorKind::kUsage, "child process", "empty command");
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw make_error(ErrorKind::kIo, "pipe", std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    throw make_error(ErrorKind::kIo, "pipe", std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    throw make_error(ErrorKind::kNotFound, "'" + argv[0] + "'", std::string("cannot start: ") + std::strerror(rc));
  }
  fds_[0] = out[0];
  fds_[1] = err[0];
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    signal(SIGKILL);
    wait();
  }
  for (int& fd : fds_)
    if (fd >= 0) close(fd);
}

bool ChildProcess::read_lines(int timeout_ms, const std::function<void(int, const std::string&)>& on_line) {
  pollfd p[2];
  int n = 0, which[2];
  for (int s = 0; s < 2; ++s)
    if (fds_[s] >= 0) {
      p[n] = {fds_[s], POLLIN, 0};
      which[n++] = s;
    }
  if (n == 0) return false;
  if (poll(p, static_cast<nfds_t>(n), timeout_ms) < 0) return errno == EINTR;
  for (int i = 0; i < n; ++i) {
    if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const int s = which[i];
    char buf[65536];
    const ssize_t got = read(fds_[s], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {  // closed
      if (!pending_[s].empty()) on_line(s + 1, pending_[s]);
      pending_[s].clear();
      close(fds_[s]);
      fds_[s] = -1;
      continue;
    }
    pending_[s].append(buf, static_cast<size_t>(got));
    size_t start = 0, nl;
    while ((nl = pending_[s].find('\n', start)) != std::string::npos) {
      on_line(s + 1, pending_[s].substr(start, nl - start));
      start = nl + 1;
    }
    pending_[s].erase(0, start);
  }
  return fds_[0] >= 0 || fds_[1] >= 0;
}

int ChildProcess::wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return exit_code_;
}

void ChildProcess::signal(int sig) {
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

}  // namespace irq
