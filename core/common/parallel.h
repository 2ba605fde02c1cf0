// Data-parallel loops over all cores without exposing ATen headers to the
// caller (plugins stay light to compile): fn(begin, end) over [0, n) in
// chunks of at least `grain`, on LibTorch's intra-op thread pool.
#pragma once

#include <cstdint>
#include <functional>

namespace irq {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace irq
