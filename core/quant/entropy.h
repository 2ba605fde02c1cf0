// Shannon entropy (bits) of a block's code histogram, computed as
// icq_oracle.py's code_entropy does in float32: p = count / n, term =
// -p * log2(p) in float32, summed over codes 0..levels-1 in order in float32.
// Terms come from a table over counts 0..n, so a candidate costs `levels`
// lookups and adds. numpy's float32 log2 is platform code (SVML on AVX-512
// machines) and differs from a correctly rounded log2 in the last bit for a
// few p, so entropies can differ from the oracle's by an ulp; the parity
// tests bound that.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace irq {

class EntropyTable {
 public:
  explicit EntropyTable(int64_t n) : terms_(static_cast<size_t>(n + 1), 0.0f) {
    for (int64_t c = 1; c <= n; ++c) {
      const float p = static_cast<float>(static_cast<double>(c) / static_cast<double>(n));
      const float lb = static_cast<float>(std::log2(static_cast<double>(p)));
      terms_[static_cast<size_t>(c)] = -p * lb;
    }
  }
  // A table from given terms (terms[c] for c = 0..n).
  explicit EntropyTable(std::vector<float> terms) : terms_(std::move(terms)) {}
  // The job's override when given and of the right size, else the built-in one.
  static EntropyTable for_block(int64_t n, const std::vector<float>* terms) {
    if (terms && static_cast<int64_t>(terms->size()) == n + 1) return EntropyTable(*terms);
    return EntropyTable(n);
  }
  float term(int64_t count) const { return terms_[static_cast<size_t>(count)]; }
  template <typename Count>
  float entropy(const Count* counts, int levels) const {
    float h = 0.0f;
    for (int v = 0; v < levels; ++v) h = h + terms_[static_cast<size_t>(counts[v])];
    return h;
  }
  const std::vector<float>& terms() const { return terms_; }

 private:
  std::vector<float> terms_;
};

}  // namespace irq
