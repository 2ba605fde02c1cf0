// How much device memory the offloaded AdamW (train/flat_adamw.h) holds while
// it streams the moments from the host: torch-free, so the memory plan
// (jobs/memory_plan.h, in the light front end) prices it from the same constant.
#pragma once

#include <cstdint>

namespace irq {

// Values per streamed chunk: 64 MiB of float32 per moment.
inline constexpr int64_t kOffloadChunk = int64_t{1} << 24;

// One chunk of each moment on the device and the two float32 temporaries of
// the denominator (sqrt(v), then its division) alive at once.
inline double offloaded_adamw_device_bytes(int64_t chunk = kOffloadChunk) { return 4.0 * static_cast<double>(chunk) * 4; }

}  // namespace irq
