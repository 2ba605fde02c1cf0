// parallel_for on at::parallel_for. This file is compiled with -fopenmp and
// linked against the torch wheel's own libgomp.so.1 (core/CMakeLists.txt),
// so its parallel regions run on the one OpenMP runtime LibTorch uses.
#include "common/parallel.h"

#include <algorithm>

#include <ATen/Parallel.h>

#ifndef _OPENMP
#error "common/parallel.cpp must be compiled with OpenMP (it runs on LibTorch's OpenMP team)"
#endif

namespace irq {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  at::parallel_for(0, n, std::max<int64_t>(1, grain), [&](int64_t begin, int64_t end) { fn(begin, end); });
}

}  // namespace irq
