// parallel_for on at::parallel_for.
#include "common/parallel.h"

#include <ATen/Parallel.h>

#include "runtime/runtime.h"

namespace irq {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  init_runtime();
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) { fn(begin, end); });
}

}  // namespace irq
