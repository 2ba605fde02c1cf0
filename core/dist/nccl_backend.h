// The NCCL backend of a data-parallel group (process_group.cpp), apart so
// that only it needs CUDA's and NCCL's headers. Internal to core/dist.
#pragma once

#include <chrono>

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace irq {

// A ProcessGroupNCCL over `store` for the current CUDA device; throws
// Error(kUnsupported) in a build without NCCL (a CPU LibTorch, no nccl.h).
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
                                                    std::chrono::milliseconds timeout);

}  // namespace irq
