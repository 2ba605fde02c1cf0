// The CLI side of data-parallel verbs (finetune, bench train):
// `--nproc N` starts N ranks of this same command on this machine
// (dist/rank_launcher.h); a rank, started by it, by torchrun or by srun,
// joins the job from its environment (dist/dist_env.h) through c10d
// (dist/process_group.h). Rank 0 alone prints, streams events and records.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "cli/args.h"
#include "dist/dist_env.h"
#include "dist/process_group.h"

namespace irq::cli {

// The engine's own command line (main() keeps it for the launcher).
void remember_process_args(int argc, char** argv);

// --nproc, --dist-timeout, --dist-check-every.
std::vector<OptionSpec> data_parallel_options();

// Whether this process should launch ranks rather than train: --nproc > 1
// and it is not itself a rank.
bool launches_ranks(const ParsedArgs& args);

// Runs this command as --nproc ranks (without --nproc, with `extra` appended)
// and waits for them. Throws Error naming the rank that failed (its exit
// code's kind) or kCancelled after Ctrl-C.
void launch_ranks(const ParsedArgs& args, const std::string& verb, const std::vector<std::string>& extra = {});

// A rank's view of the arguments: the device becomes cuda:LOCAL_RANK when
// it is CUDA (or auto with a GPU), and ranks other than 0 do not record.
ParsedArgs rank_args(const ParsedArgs& args, const DistEnv& env);

// Joins the job `env` describes on `device` (Gloo / NCCL) with the
// --dist-timeout of `args`.
std::unique_ptr<DataParallelGroup> join_group(const ParsedArgs& args, const DistEnv& env, const torch::Device& device);

}  // namespace irq::cli
