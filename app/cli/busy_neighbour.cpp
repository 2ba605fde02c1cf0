// fork() + a spin loop that touches nothing shared (safe after fork in a
// threaded parent), SIGKILL + waitpid on destruction.
#include "cli/busy_neighbour.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace irq::cli {

BusyNeighbour::BusyNeighbour() {
  pid_ = fork();
  if (pid_ < 0) throw make_error(ErrorKind::kIo, "bench --contended", std::string("fork failed: ") + std::strerror(errno));
  if (pid_ == 0) {
    volatile unsigned long spin = 0;
    for (;;) spin = spin + 1;
  }
  usleep(100 * 1000);  // let the scheduler see it running
}

BusyNeighbour::~BusyNeighbour() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace irq::cli
