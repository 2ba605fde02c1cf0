// The registry of frozen-weight readers (model/frozen_weight.h).
#include "model/frozen_weight.h"

#include <mutex>

namespace irq {

namespace {

struct Readers {
  std::mutex mutex;
  std::vector<FrozenWeightReader> list;
};

Readers& readers() {
  static Readers r;
  return r;
}

}  // namespace

void register_frozen_weight_reader(FrozenWeightReader reader) {
  auto& r = readers();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.list.push_back(std::move(reader));
}

StoredFrozenWeights read_frozen_weights(const std::filesystem::path& dir, const CheckpointWeights& weights) {
  std::vector<FrozenWeightReader> list;
  {
    auto& r = readers();
    std::lock_guard<std::mutex> lock(r.mutex);
    list = r.list;
  }
  StoredFrozenWeights all;
  for (const auto& read : list) {
    auto found = read(dir, weights);
    if (!found) continue;
    if (all.source.empty()) all.source = found->source;
    all.weights.merge(found->weights);
    all.tensors.merge(found->tensors);
  }
  return all;
}

}  // namespace irq
