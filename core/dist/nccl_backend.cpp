// ProcessGroupNCCL from LibTorch's CUDA build (see nccl_backend.h). Compiled
// with IRQ_WITH_NCCL where CMake found nccl.h (the nvidia-nccl wheel that
// LibTorch's CUDA wheel depends on); otherwise it reports the build's lack.
#include "dist/nccl_backend.h"

#include "common/error.h"

#ifdef IRQ_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace irq {

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
                                                    std::chrono::milliseconds timeout) {
#ifdef IRQ_WITH_NCCL
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, opts);
#else
  (void)store, (void)rank, (void)world, (void)timeout;
  throw make_error(ErrorKind::kUnsupported, "data-parallel CUDA ranks",
                   "this build has no NCCL (a CPU LibTorch, or nccl.h was not found at configure time); use --device cpu (Gloo)");
#endif
}

}  // namespace irq
