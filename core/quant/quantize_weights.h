// The loop shared by quantize_checkpoint, quantize_model and the layer
// inspection: for each name, fetch(name) gives the stored weight, it is
// quantized with the options (on the GPU when options.use_cuda and the
// format has a CUDA quantizer, else on the CPU in float32), and store()
// takes the result. Progress per tensor, cancellation between tensors and
// inside the quantizer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quant/model_quantizer.h"

namespace irq {

// The stored weight as a tensor of any floating dtype on any device (it may
// view the mapped checkpoint); release(), when set, is called once it has
// been copied, so that the mapped pages can go.
struct FetchedWeight {
  torch::Tensor values;
  std::function<void()> release;
};
using WeightFetch = std::function<FetchedWeight(const std::string& name)>;
// Optional: starts reading a weight that fetch() will be asked for next (the
// disk works while the current one is quantized).
using WeightPrefetch = std::function<void(const std::string& name)>;

ModelQuantStats quantize_weights(const std::vector<std::string>& names, const std::string& model_dir,
                                 const ModelQuantOptions& options, const WeightFetch& fetch, const QuantSink& store,
                                 const WeightPrefetch& prefetch = {});

}  // namespace irq
