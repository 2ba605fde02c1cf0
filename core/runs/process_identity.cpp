// Process identity and liveness (see process_identity.h).
#include "runs/process_identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace irq {

namespace {

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string host_id() {
  std::string id = first_line("/etc/machine-id");
  if (id.empty()) id = first_line("/var/lib/dbus/machine-id");
  if (!id.empty()) return id;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0]) return std::string("host:") + name;
  return "";
}

bool pid_exists(int64_t pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

int64_t process_start_ticks(int64_t pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // count fields from the last ')'. Field 3 is the state; starttime is 22.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    if (!(rest >> field)) return 0;
  try {
    return std::stoll(field);
  } catch (...) {
    return 0;
  }
}

ProcessIdentity current_process() {
  ProcessIdentity p;
  p.host = host_id();
  p.boot = first_line("/proc/sys/kernel/random/boot_id");
  p.pid = static_cast<int64_t>(::getpid());
  p.start_ticks = process_start_ticks(p.pid);
  return p;
}

Liveness liveness(const ProcessIdentity& recorded, const ProcessIdentity& self) {
  if (recorded.host.empty()) return pid_exists(recorded.pid) ? Liveness::kAlive : Liveness::kDead;  // a pre-2 row
  if (recorded.host != self.host) return Liveness::kUnknown;
  if (!recorded.boot.empty() && !self.boot.empty() && recorded.boot != self.boot) return Liveness::kDead;
  if (!pid_exists(recorded.pid)) return Liveness::kDead;
  if (recorded.start_ticks != 0) {
    const int64_t now = process_start_ticks(recorded.pid);
    if (now != 0 && now != recorded.start_ticks) return Liveness::kDead;  // the pid was reused
  }
  return Liveness::kAlive;
}

}  // namespace irq
