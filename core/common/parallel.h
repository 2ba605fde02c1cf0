// Data-parallel loops for the engine's own CPU kernels (quantizers):
// fn(begin, end) over [0, n) in chunks of at least `grain`, on LibTorch's
// intra-op OpenMP team, the same threads that run torch's operators (one
// pool: see runtime/threads.h). Nested calls, and calls from inside a torch
// parallel region, run serially on the calling thread. The first exception
// thrown by fn is rethrown here.
#pragma once

#include <cstdint>
#include <functional>

namespace irq {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace irq
