// NF4 tables in __constant__ memory and the CUDA error check, for the
// plugin's .cu files. Without relocatable device code every translation unit
// has its own __constant__ copy, so each file that includes this gets its own
// tables (anonymous namespace), uploaded to each device the first time a
// kernel of that file runs there (__constant__ memory is per device).
#pragma once

#include <cuda_runtime.h>

#include <mutex>
#include <set>
#include <string>

#include "common/error.h"
#include "quant/dynamic_map.h"
#include "quant/nf4_levels.h"

namespace irq::nf4::cuda {
namespace {

__constant__ float c_thresholds[15];
__constant__ float c_levels[16];
__constant__ float c_map[256];

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw make_error(ErrorKind::kIo, std::string("CUDA ") + what, cudaGetErrorString(e));
}

// Runs init(device) the first time the current device (the one a launch
// uses) comes through this call site (`done` is the call site's own set).
template <typename Init>
void once_per_device(std::set<int>& done, Init init) {
  static std::mutex mutex;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  std::lock_guard<std::mutex> lock(mutex);
  if (done.count(device)) return;
  init(device);
  done.insert(device);
}

// Uploads the tables to the current device once.
inline void upload_constants() {
  static std::set<int> done;
  once_per_device(done, [](int) {
    check(cudaMemcpyToSymbol(c_thresholds, kNf4Thresholds.data(), sizeof(float) * 15), "thresholds");
    check(cudaMemcpyToSymbol(c_levels, kNf4Levels.data(), sizeof(float) * 16), "levels");
    check(cudaMemcpyToSymbol(c_map, dynamic_map_8bit().data(), sizeof(float) * 256), "dynamic map");
  });
}

}  // namespace
}  // namespace irq::nf4::cuda
