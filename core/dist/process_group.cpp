// c10d rendezvous and collectives for data-parallel training (see
// process_group.h). Gloo's header is compiled with the declarations in
// gloo_decl/ (the wheel ships the backend, not gloo's headers; see there).
#include "dist/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "dist/nccl_backend.h"

namespace irq {

namespace {

// Store lookups made while explaining a failure: short, the job is ending.
constexpr std::chrono::seconds kDiagnosisTimeout{5};
// Each rank bumps a counter in the store this often; a failed collective
// looks twice, kHeartbeatCheck apart, to see whose counter stood still.
constexpr std::chrono::milliseconds kHeartbeat{500};
constexpr std::chrono::milliseconds kHeartbeatCheck{1500};

std::string first_line(const std::string& s, size_t limit = 300) {
  std::string out = s.substr(0, s.find('\n'));
  if (out.size() > limit) out = out.substr(0, limit) + "...";
  return out;
}

std::string text(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

}  // namespace

struct DataParallelGroup::Impl {
  DistEnv env;
  std::string backend_name;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  int64_t seq = 0;  // collectives started by this rank
  std::thread heartbeat;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (heartbeat.joinable()) heartbeat.join();
  }

  void start_heartbeat() {
    heartbeat = std::thread([this] {
      int64_t beats = 0;
      std::unique_lock<std::mutex> lock(mutex);
      while (!stopping) {
        lock.unlock();
        try {
          store->set(beat_key(env.rank), std::to_string(++beats));
        } catch (const std::exception&) {  // the store went away with rank 0: the collective reports it
          return;
        }
        lock.lock();
        wake.wait_for(lock, kHeartbeat, [this] { return stopping; });
      }
    });
  }

  std::string where() const { return "rank " + std::to_string(env.rank) + " of " + std::to_string(env.world); }
  std::string seq_key(int r) const { return "irq/seq/" + std::to_string(r); }
  std::string failed_key(int r) const { return "irq/failed/" + std::to_string(r); }
  std::string beat_key(int r) const { return "irq/beat/" + std::to_string(r); }

  // Which rank made a collective fail, from what the ranks left in the store.
  std::string culprit() {
    try {
      store->setTimeout(kDiagnosisTimeout);
      for (int r = 0; r < env.world; ++r)
        if (r != env.rank && store->check({failed_key(r)})) return "rank " + std::to_string(r) + " failed: " + text(store->get(failed_key(r)));
      std::map<int, std::string> beats;
      for (int r = 0; r < env.world; ++r)
        if (r != env.rank) beats[r] = store->check({beat_key(r)}) ? text(store->get(beat_key(r))) : "";
      std::this_thread::sleep_for(kHeartbeatCheck);
      std::string stalled;
      for (const auto& [r, before] : beats)
        if ((store->check({beat_key(r)}) ? text(store->get(beat_key(r))) : "") == before)
          stalled += (stalled.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + " stopped responding (it hangs or died)";
      if (!stalled.empty()) return stalled;
      std::string behind;
      for (int r = 0; r < env.world; ++r) {
        if (r == env.rank) continue;
        const int64_t at = store->check({seq_key(r)}) ? std::atoll(text(store->get(seq_key(r))).c_str()) : 0;
        if (at < seq)
          behind += (behind.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + " stopped at collective " + std::to_string(at) +
                    " of this rank's " + std::to_string(seq) + " (it died or hangs)";
      }
      return behind.empty() ? "every rank reached this collective; one died inside it" : behind;
    } catch (const std::exception&) {
      return "rank 0, which serves the rendezvous store at " + env.master_addr + ":" + std::to_string(env.master_port) +
             ", is unreachable (it died)";
    }
  }

  [[noreturn]] void fail(const std::string& op, const std::exception& e) {
    throw make_error(ErrorKind::kIo, where(), op + " failed: " + culprit() + " [" + backend_name + ": " + first_line(e.what()) + "]");
  }

  void arrive() {
    ++seq;
    try {
      store->set(seq_key(env.rank), std::to_string(seq));
    } catch (const std::exception& e) {
      fail("collective " + std::to_string(seq), e);
    }
  }
};

DataParallelGroup::DataParallelGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataParallelGroup::~DataParallelGroup() = default;

std::unique_ptr<DataParallelGroup> DataParallelGroup::join(const DistEnv& env, const torch::Device& device,
                                                           std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->timeout = timeout;
  impl->backend_name = device.is_cuda() ? "nccl" : "gloo";
  const std::string address = env.master_addr + ":" + std::to_string(env.master_port);
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(env.master_port);
  so.isServer = env.rank == 0 && !env.agent_store;
  so.numWorkers = env.world;
  so.timeout = timeout;
  if (env.rank == 0 && env.listen_fd >= 0) so.masterListenFd = env.listen_fd;
  try {
    // our keys apart from those of torchrun's agent when it serves the store
    impl->store = c10::make_intrusive<c10d::PrefixStore>("irqlora", c10::make_intrusive<c10d::TCPStore>(env.master_addr, so));
  } catch (const std::exception& e) {
    const std::string why = e.what();
    if (env.rank == 0 && (why.find("EADDRINUSE") != std::string::npos || why.find("in use") != std::string::npos))
      throw make_error(ErrorKind::kIo, "MASTER_PORT " + std::to_string(env.master_port),
                       "is in use on this host (rank 0 serves the rendezvous store there): choose another port");
    throw make_error(ErrorKind::kIo, impl->where(),
                     "the rendezvous at " + address + " did not complete within " + std::to_string(timeout.count() / 1000) +
                         " s (is rank 0 running, and are all " + std::to_string(env.world) + " ranks started?) [" + first_line(why) + "]");
  }
  try {
    if (device.is_cuda()) {
      impl->backend = make_nccl_backend(impl->store, env.rank, env.world, timeout);
    } else {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      opts->devices.push_back(ifname && *ifname ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                                                : c10d::ProcessGroupGloo::createDefaultDevice());
      impl->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world, opts);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    impl->fail("connecting the " + impl->backend_name + " backend", e);
  }
  impl->start_heartbeat();
  return std::unique_ptr<DataParallelGroup>(new DataParallelGroup(std::move(impl)));
}

int DataParallelGroup::rank() const { return impl_->env.rank; }
int DataParallelGroup::world() const { return impl_->env.world; }
const std::string& DataParallelGroup::backend() const { return impl_->backend_name; }

void DataParallelGroup::allreduce_sum(torch::Tensor& t, int64_t bucket_bytes) {
  if (!t.is_contiguous()) throw make_error(ErrorKind::kUsage, "allreduce", "the tensor must be contiguous");
  impl_->arrive();
  auto flat = t.view({-1});
  const int64_t per = std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(t.element_size()));
  std::vector<std::vector<at::Tensor>> buckets;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  try {
    for (int64_t off = 0; off < flat.numel(); off += per) {
      buckets.push_back({flat.narrow(0, off, std::min(per, flat.numel() - off))});
      works.push_back(impl_->backend->allreduce(buckets.back(), o));
    }
    for (auto& w : works) w->wait(impl_->timeout);
  } catch (const std::exception& e) {
    impl_->fail("allreduce " + std::to_string(impl_->seq), e);
  }
}

void DataParallelGroup::barrier() {
  impl_->arrive();
  try {
    impl_->backend->barrier()->wait(impl_->timeout);
  } catch (const std::exception& e) {
    impl_->fail("barrier " + std::to_string(impl_->seq), e);
  }
}

void DataParallelGroup::announce_failure(const std::string& message) noexcept {
  try {
    impl_->store->setTimeout(kDiagnosisTimeout);
    impl_->store->set(impl_->failed_key(impl_->env.rank), first_line(message, 1000));
  } catch (...) {  // the store may be gone with rank 0; the launcher still reports this rank's exit
  }
}

}  // namespace irq
