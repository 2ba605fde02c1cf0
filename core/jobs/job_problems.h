// A job's validation problems as one usage error: every problem, each
// starting with its field's name, joined with "; ".
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace irq {

inline void throw_if_problems(const std::string& job, const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  std::string all;
  for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
  throw make_error(ErrorKind::kUsage, job, all);
}

}  // namespace irq
