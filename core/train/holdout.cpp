// Row split of datasets' train_test_split(shuffle=True, seed).
#include "train/holdout.h"

#include <numeric>

#include "common/error.h"
#include "train/numpy_permutation.h"

namespace irq {

HoldoutSplit holdout_split(size_t rows, int64_t n_eval, uint64_t seed, const std::string& source) {
  HoldoutSplit out;
  if (n_eval < 0) throw make_error(ErrorKind::kUsage, source, "the held-out row count must be >= 0");
  if (n_eval == 0) {
    out.train.resize(rows);
    std::iota(out.train.begin(), out.train.end(), size_t{0});
    return out;
  }
  if (static_cast<size_t>(n_eval) >= rows)
    throw make_error(ErrorKind::kUsage, source,
                     "holding out " + std::to_string(n_eval) + " rows leaves none of its " + std::to_string(rows) + " rows to train on");
  const auto perm = numpy_permutation(seed, static_cast<int64_t>(rows));
  out.eval.assign(perm.begin(), perm.begin() + n_eval);
  out.train.assign(perm.begin() + n_eval, perm.end());
  return out;
}

}  // namespace irq
