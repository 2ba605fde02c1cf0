// Holding rows out of the training data for evaluation, as the reference
// does (irlora.py: dataset.train_test_split(test_size=eval_dataset_size,
// shuffle=True, seed=42)): Hugging Face datasets permutes the row indices with
// numpy.random.default_rng(seed).permutation(rows), takes the first n_eval as
// the evaluation split and the rest, in that order, for training.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace irq {

struct HoldoutSplit {
  std::vector<size_t> train, eval;  // row indices into the data file
};

// Throws Error(kUsage) naming `source` when n_eval leaves no training row.
// n_eval 0: every row trains, in file order.
HoldoutSplit holdout_split(size_t rows, int64_t n_eval, uint64_t seed, const std::string& source);

}  // namespace irq
