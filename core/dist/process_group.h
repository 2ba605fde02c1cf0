// One data-parallel job's communication, on LibTorch's c10d: rendezvous
// through a TCPStore served by rank 0, Gloo collectives for CPU ranks and
// NCCL for CUDA ranks (one GPU per rank). The trainer sums the flat gradient
// buffer over the ranks here (bucketed, every bucket in flight at once).
// Every collective first records in the store how far this rank got
// ("irq/seq/<rank>"), a thread bumps a heartbeat there ("irq/beat/<rank>"),
// and a rank that fails records why ("irq/failed/<rank>"), so when a
// collective fails (a peer died: Gloo sees its socket close at once; a peer
// hangs: the timeout) the error names the rank responsible: the one that
// said why, else the one whose heartbeat stood still, else the one behind.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <torch/types.h>

#include "dist/dist_env.h"

namespace irq {

class DataParallelGroup {
 public:
  // DDP's default bucket: 25 MiB.
  static constexpr int64_t kBucketBytes = 25 << 20;

  // Joins the job `env` describes: the store first (rank 0 serves it on
  // MASTER_PORT, or on the launcher's bound socket), then the backend:
  // Gloo for a CPU `device`, NCCL for a CUDA one. Every collective and the
  // rendezvous give up after `timeout`. Throws Error(kIo) naming the address
  // when the port is in use or rank 0 cannot be reached, Error(kUnsupported)
  // when this build has no NCCL.
  static std::unique_ptr<DataParallelGroup> join(const DistEnv& env, const torch::Device& device, std::chrono::milliseconds timeout);
  ~DataParallelGroup();
  DataParallelGroup(const DataParallelGroup&) = delete;
  DataParallelGroup& operator=(const DataParallelGroup&) = delete;

  int rank() const;
  int world() const;
  const std::string& backend() const;  // "gloo" or "nccl"

  // Sums the contiguous tensor `t` over the ranks, in place, in buckets of
  // at most `bucket_bytes`. Throws Error(kIo) naming the failed rank.
  void allreduce_sum(torch::Tensor& t, int64_t bucket_bytes = kBucketBytes);
  // Waits for every rank.
  void barrier();
  // Records in the store that this rank stopped with `message`, so that the
  // other ranks' errors name it and its reason. Never throws.
  void announce_failure(const std::string& message) noexcept;

 private:
  struct Impl;
  explicit DataParallelGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace irq
