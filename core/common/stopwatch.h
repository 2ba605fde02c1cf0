// Wall time of the engine's own measurements (load, prefill/decode, steps).
#pragma once

#include <chrono>

namespace irq {

// Seconds on the steady clock since `t0`.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace irq
