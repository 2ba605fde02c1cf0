// Model directory -> LlamaForCausalLM with weights, config and tokenizer.
#include "model/model_loader.h"

#include <chrono>
#include <set>

#include "common/error.h"
#include "common/stopwatch.h"
#include "io/tensor_view.h"
#include "model/model_summary.h"
#include "model/frozen_weight.h"
#include "runtime/runtime.h"

#include <torch/cuda.h>

namespace irq {

namespace fs = std::filesystem;

const Tokenizer& LoadedModel::require_tokenizer() const {
  if (!tokenizer) throw make_error(ErrorKind::kNotFound, dir.string(), tokenizer_error);
  return *tokenizer;
}

std::vector<std::string> load_weights(LlamaForCausalLM& model, const CheckpointWeights& weights, const fs::path& dir,
                                      ProgressSink* progress, const CancelToken* cancel, const std::vector<std::string>& deferred) {
  const std::set<std::string> later(deferred.begin(), deferred.end());
  // Frozen (quantized) weights the directory stores: their layers get them, the rest loads as usual.
  auto frozen = read_frozen_weights(dir, weights);
  std::set<std::string> used = frozen.tensors;
  if (!frozen.weights.empty()) {
    auto modules = model->named_modules("", /*include_self=*/false);
    for (auto& [name, w] : frozen.weights) {
      const std::string module = name.substr(0, name.rfind('.'));
      auto* linear = modules.contains(module) ? modules[module]->as<LinearImpl>() : nullptr;
      if (!linear) throw make_error(ErrorKind::kInvalidInput, frozen.source, "'" + name + "' is not a linear weight of this model");
      if (!linear->weight.sizes().equals(w->weight_shape()))
        throw make_error(ErrorKind::kInvalidInput, frozen.source,
                         "'" + name + "' has shape " + shape_to_string(w->weight_shape()) + " but config.json implies " +
                             shape_to_string(linear->weight.sizes().vec()));
      linear->set_frozen_weight(std::move(w));
    }
  }
  torch::NoGradGuard no_grad;
  const auto params = model->named_parameters(/*recurse=*/true);
  std::set<const void*> filled;  // tied tensors are filled once
  int64_t done = 0;
  for (const auto& item : params) {
    const std::string& name = item.key();
    torch::Tensor param = item.value();
    if (frozen.weights.count(name)) continue;
    if (cancel) cancel->throw_if_cancelled("loading " + dir.string());
    if (later.count(name)) {  // filled by the caller; checked here like the others
      const auto e = weights.find(name);
      if (!e.file) throw make_error(ErrorKind::kNotFound, dir.string(), "checkpoint has no tensor '" + name + "'");
      if (!param.sizes().equals(e.info->shape))
        throw make_error(ErrorKind::kInvalidInput, e.file->path().string() + ": tensor '" + name + "'",
                         "has shape " + shape_to_string(e.info->shape) + " but config.json implies " + shape_to_string(param.sizes().vec()));
      used.insert(name);
      continue;
    }
    auto entry = weights.find(name);
    const bool tied_head = name == "lm_head.weight" && model->config.tie_word_embeddings;
    if (tied_head) {
      if (entry.file) used.insert(name);  // transformers ignores it too: the head is the embedding
      continue;
    }
    if (!entry.file) throw make_error(ErrorKind::kNotFound, dir.string(), "checkpoint has no tensor '" + name + "'");
    const auto& info = *entry.info;
    const std::string where = entry.file->path().string() + ": tensor '" + name + "'";
    if (!param.sizes().equals(info.shape))
      throw make_error(ErrorKind::kInvalidInput, where,
                       "has shape " + shape_to_string(info.shape) + " but config.json implies " + shape_to_string(param.sizes().vec()));
    auto view = tensor_view(*entry.file, info);
    if (!at::isFloatingType(view.scalar_type()))
      throw make_error(ErrorKind::kInvalidInput, where, std::string("has integer dtype ") + dtype_name(info.dtype));
    if (filled.insert(param.unsafeGetTensorImpl()).second) param.copy_(view);
    entry.file->release(info);  // the copy is made: the mapped bytes need not stay resident
    used.insert(name);
    if (progress) progress->progress("load weights", ++done, static_cast<int64_t>(params.size()));
  }
  std::vector<std::string> ignored;
  for (const auto& n : weights.names())
    if (!used.count(n)) ignored.push_back(n);
  return ignored;
}

LoadedModel load_model(const fs::path& dir, const LoadOptions& options) {
  init_runtime();
  if (!fs::is_directory(dir)) throw make_error(ErrorKind::kNotFound, dir.string(), "not a model directory");
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel out;
  out.dir = fs::absolute(dir).lexically_normal();
  out.config = LlamaConfig::from_file(dir / "config.json");
  auto weights = CheckpointWeights::open(dir);
  out.checkpoint_bytes = weights.total_bytes();
  for (const auto& n : weights.names()) out.stored_dtypes[n] = dtype_name(weights.find(n).info->dtype);
  try {
    out.tokenizer = open_tokenizer(dir);
    if (out.tokenizer->vocab_size() > out.config.vocab_size)
      throw make_error(ErrorKind::kInvalidInput, (dir / "tokenizer.model").string(),
                       "has " + std::to_string(out.tokenizer->vocab_size()) + " tokens but config.json vocab_size is " +
                           std::to_string(out.config.vocab_size));
  } catch (const Error& e) {
    if (options.require_tokenizer || e.kind() == ErrorKind::kInvalidInput) throw;
    out.tokenizer_error = e.what();
  }
  out.open_seconds = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  const auto dtype = options.dtype.value_or(default_dtype(options.device));
  out.model = LlamaForCausalLM(out.config, torch::TensorOptions().dtype(dtype).device(options.device));
  out.model->eval();
  for (auto& p : out.model->parameters()) p.set_requires_grad(false);
  out.ignored_tensors = load_weights(out.model, weights, dir, options.progress, options.cancel, options.deferred_weights);
  if (options.device.is_cuda()) torch::cuda::synchronize();
  out.load_seconds = seconds_since(t1);
  return out;
}

}  // namespace irq
