// CUDA caching-allocator statistics (c10_cuda), compiled to no-ops when the
// LibTorch in use has no CUDA library.
#include "runtime/cuda_memory.h"

#ifdef IRQ_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif

namespace irq {

double cuda_peak_allocated_mb(const torch::Device& device) {
#ifdef IRQ_TORCH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    const auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
    return static_cast<double>(stats.allocated_bytes[aggregate].peak) / (1024.0 * 1024.0);
  }
#endif
  (void)device;
  return 0.0;
}

void cuda_reset_peak_memory(const torch::Device& device) {
#ifdef IRQ_TORCH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#endif
  (void)device;
}

double cuda_total_memory_bytes(const torch::Device& device) {
#ifdef IRQ_TORCH_CUDA
  if (device.is_cuda()) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, device.has_index() ? device.index() : 0) == cudaSuccess) return static_cast<double>(prop.totalGlobalMem);
  }
#endif
  (void)device;
  return 0.0;
}

}  // namespace irq
