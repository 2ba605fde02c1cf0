// Who is running a run: host (/etc/machine-id, else the hostname), boot
// (/proc/sys/kernel/random/boot_id) and process (pid plus its start time in
// clock ticks since boot, /proc/PID/stat field 22). A pid alone is not an
// identity: after the writer dies the kernel hands the number to another
// process, and a database on a shared disk holds pids of other machines.
#pragma once

#include <cstdint>
#include <string>

namespace irq {

struct ProcessIdentity {
  std::string host;         // "" when unknown (rows written before schema 2)
  std::string boot;         // "" when unknown
  int64_t pid = 0;
  int64_t start_ticks = 0;  // 0 when unknown
};

enum class Liveness { kAlive, kDead, kUnknown };

// This process.
ProcessIdentity current_process();

// Whether the recorded process still runs, judged from `self`
// (current_process(), read once by the caller): kUnknown when it ran on
// another host (this machine cannot tell), kDead when this host has rebooted
// since or the pid is gone or now belongs to a process started at another
// time. Rows without host/boot/start fall back to the pid alone.
Liveness liveness(const ProcessIdentity& recorded, const ProcessIdentity& self);

// Start time of PID in clock ticks since boot; 0 when it does not exist.
int64_t process_start_ticks(int64_t pid);

}  // namespace irq
