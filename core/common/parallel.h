// Data-parallel loops over all cores for the engine's own CPU kernels
// (quantizers): fn(begin, end) over [0, n) in chunks of at least `grain`,
// on a persistent pool of IRQ_NUM_THREADS (default: all cores) threads with
// dynamic scheduling; the calling thread works too; nested calls run serially.
// (at::parallel_for cannot be used from our code: its OpenMP body is inline
// and the torch wheel bundles its own libgomp.)
#pragma once

#include <cstdint>
#include <functional>

namespace irq {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace irq
