// --nproc launching and joining for data-parallel verbs (see data_parallel.h).
#include "cli/data_parallel.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <torch/cuda.h>

#include "common/error.h"
#include "common/exit_codes.h"
#include "dist/rank_launcher.h"
#include "runtime/runtime.h"

namespace irq::cli {

namespace {

std::vector<std::string>& process_args() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

void remember_process_args(int argc, char** argv) { process_args().assign(argv + 1, argv + argc); }

std::vector<OptionSpec> data_parallel_options() {
  return {{"nproc", "N", "data-parallel ranks on this machine (one GPU each on CUDA, Gloo on the CPU); torchrun/srun set RANK etc. instead", "1"},
          {"dist-timeout", "S", "seconds a rank waits for the others (rendezvous, each all-reduce) before failing", "300"},
          {"dist-check-every", "K", "data parallel: compare the ranks' trainable values every K steps (0: never)", "0"}};
}

bool launches_ranks(const ParsedArgs& args) {
  return args.integer("nproc") > 1 && !std::getenv("IRQLORA_LAUNCHED") && !dist_env().distributed();
}

void launch_ranks(const ParsedArgs& args, const std::string& verb, const std::vector<std::string>& extra) {
  const int64_t nproc = args.integer("nproc");
  constexpr int64_t kMaxLocalRanks = 1024;
  if (nproc < 1 || nproc > kMaxLocalRanks) throw make_error(ErrorKind::kUsage, "--nproc", "must be in [1, 1024]");
  const auto device = parse_device(args.str("device"));
  if (device.is_cuda()) {
    const int64_t gpus = static_cast<int64_t>(torch::cuda::device_count());
    if (nproc > gpus)
      throw make_error(ErrorKind::kUsage, "--nproc " + std::to_string(nproc),
                       "needs one GPU per rank, and this machine has " + std::to_string(gpus) + " (or use --device cpu: Gloo ranks)");
  }
  RankLaunch l;
  std::error_code ec;
  l.argv.push_back(std::filesystem::read_symlink("/proc/self/exe", ec).string());
  if (ec) throw make_error(ErrorKind::kIo, "/proc/self/exe", ec.message());
  const auto& all = process_args();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--nproc") {
      ++i;
      continue;
    }
    if (all[i].rfind("--nproc=", 0) == 0) continue;
    l.argv.push_back(all[i]);
  }
  l.argv.insert(l.argv.end(), extra.begin(), extra.end());
  l.nproc = static_cast<int>(nproc);
  std::fprintf(stderr, "%s: %lld data-parallel ranks on this machine (%s)\n", verb.c_str(), (long long)nproc,
               device.is_cuda() ? "NCCL, one GPU each" : "Gloo on the CPU");
  const RankExit done = run_local_ranks(l);
  if (done.exit_code == 0) return;
  if (done.failed_rank < 0) throw make_error(ErrorKind::kCancelled, verb, done.message);
  const int code = done.exit_code;
  throw make_error(code > 128 ? ErrorKind::kIo : error_kind(code), verb + " --nproc " + std::to_string(nproc), done.message);
}

ParsedArgs rank_args(const ParsedArgs& args, const DistEnv& env) {
  ParsedArgs out = args;
  const auto device = parse_device(args.str("device"));
  if (device.is_cuda()) out.values_["device"] = "cuda:" + std::to_string(env.local_rank);
  if (env.rank != 0) out.values_["no-record"] = "";
  return out;
}

std::unique_ptr<DataParallelGroup> join_group(const ParsedArgs& args, const DistEnv& env, const torch::Device& device) {
  const int64_t seconds = args.integer("dist-timeout");
  if (seconds < 1) throw make_error(ErrorKind::kUsage, "--dist-timeout", "must be at least 1 second");
  return DataParallelGroup::join(env, device, std::chrono::seconds(seconds));
}

}  // namespace irq::cli
