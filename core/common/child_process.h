// A child process whose stdout and stderr are read line by line while it
// runs (posix_spawnp, no shell: each argv element is one argument), for jobs
// that follow another program (jobs/remote_job.h). stdin is /dev/null. The
// destructor kills (SIGKILL) and reaps a child that is still running.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace irq {

class ChildProcess {
 public:
  // Throws Error(kNotFound) naming argv[0] when it cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits up to timeout_ms for output and calls on_line(stream, line) for
  // each complete line (stream 1: stdout, 2: stderr; no newline). Returns
  // false once both streams are closed (a last unterminated line included).
  bool read_lines(int timeout_ms, const std::function<void(int stream, const std::string& line)>& on_line);
  // Reaps the child: its exit code, or 128 + the signal that ended it.
  int wait();
  void signal(int sig);  // no-op once reaped
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int fds_[2] = {-1, -1};   // read ends: stdout, stderr
  std::string pending_[2];  // partial lines
};

}  // namespace irq
