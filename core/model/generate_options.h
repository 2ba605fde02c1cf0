// The decoding settings of generate() (model/generate.h), torch-free so that
// a job request (jobs/generate_job.h) and the front ends hold them as they
// are: greedy at temperature 0, else seeded sampling with top-k and top-p.
#pragma once

#include <cstdint>

namespace irq {

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0.0;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // 1: off
  uint64_t seed = 0;
  bool stop_at_eos = true;
};

}  // namespace irq
