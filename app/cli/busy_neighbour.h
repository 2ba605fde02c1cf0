// A busy neighbour for the contended benchmarks (`bench load --contended`,
// `bench train --contended`): another process that keeps one core busy, as a
// browser, a compile or the GUI thread does on a desktop. RAII: the process
// is killed and reaped when the object goes away.
#pragma once

#include <sys/types.h>

namespace irq::cli {

class BusyNeighbour {
 public:
  BusyNeighbour();  // forks the spinning child; throws Error(kIo) when fork fails
  ~BusyNeighbour();
  BusyNeighbour(const BusyNeighbour&) = delete;
  BusyNeighbour& operator=(const BusyNeighbour&) = delete;

 private:
  pid_t pid_ = -1;
};

}  // namespace irq::cli
