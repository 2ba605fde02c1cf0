// The layer-by-layer GPTQ pass (gptq_model.h).
#include "quant/gptq/gptq_model.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/error.h"
#include "quant/gptq/calibration.h"
#include "quant/gptq/gptq_solver.h"
#include "quant/gptq/hessian.h"
#include "quant/quantized_weight.h"

namespace irq {

namespace {

// AutoGPTQ's inside_layer_modules for LLaMA: projections that share an input
// are calibrated together, the later subsets on the earlier ones' quantized outputs.
const std::vector<std::vector<std::string>>& subsets() {
  static const std::vector<std::vector<std::string>> s = {{"k_proj", "v_proj", "q_proj"}, {"o_proj"}, {"up_proj", "gate_proj"}, {"down_proj"}};
  return s;
}

LinearImpl* projection(LlamaDecoderLayerImpl& layer, const std::string& proj) {
  if (proj == "q_proj") return layer.self_attn->q_proj.get();
  if (proj == "k_proj") return layer.self_attn->k_proj.get();
  if (proj == "v_proj") return layer.self_attn->v_proj.get();
  if (proj == "o_proj") return layer.self_attn->o_proj.get();
  if (proj == "gate_proj") return layer.mlp->gate_proj.get();
  if (proj == "up_proj") return layer.mlp->up_proj.get();
  return layer.mlp->down_proj.get();
}

std::string weight_name(int64_t l, const std::string& proj) {
  const bool attn = proj == "q_proj" || proj == "k_proj" || proj == "v_proj" || proj == "o_proj";
  return "model.layers." + std::to_string(l) + (attn ? ".self_attn." : ".mlp.") + proj + ".weight";
}

// Runs the layer on every calibration segment, one at a time (AutoGPTQ's batches of one).
torch::Tensor run_layer(LlamaDecoderLayerImpl& layer, const torch::Tensor& inputs, const StepContext& step, bool keep,
                        const CancelToken* cancel) {
  torch::Tensor out = keep ? torch::empty_like(inputs) : torch::Tensor();
  for (int64_t j = 0; j < inputs.size(0); ++j) {
    if (cancel) cancel->throw_if_cancelled("GPTQ calibration");
    auto y = layer.forward(inputs.narrow(0, j, 1), step);
    if (keep) out.narrow(0, j, 1).copy_(y);
  }
  return out;
}

}  // namespace

ModelQuantStats gptq_quantize_model(LoadedModel& loaded, const ModelQuantOptions& options, const WeightFetch& fetch,
                                    const QuantSink& store) {
  const auto t0 = std::chrono::steady_clock::now();
  const QuantSettings& s = options.settings;
  s.validate();
  if (!s.gptq.enabled) throw make_error(ErrorKind::kUsage, "GPTQ", "settings without GPTQ");
  torch::NoGradGuard no_grad;
  if (options.use_cuda && !torch::cuda::is_available())
    throw make_error(ErrorKind::kUnsupported, "GPTQ", "CUDA was asked for but no CUDA device is available");
  const torch::Device device = options.use_cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  const auto& config = loaded.config;
  const auto tokens = calibration_tokens(loaded.require_tokenizer(), s.gptq.calib, s.gptq.nsamples, s.gptq.seqlen, s.gptq.seed);
  const int64_t N = s.gptq.nsamples, T = s.gptq.seqlen;
  auto& model = *loaded.model->model;
  const auto dtype = loaded.model->options().dtype().toScalarType();

  // Layer 0's inputs: the embeddings of the segments, float32 on the compute device.
  auto ids = torch::from_blob(const_cast<int64_t*>(tokens.data()), {N, T}, torch::kInt64).clone();
  if (ids.max().item<int64_t>() >= config.vocab_size)
    throw make_error(ErrorKind::kInvalidInput, s.gptq.calib, "tokenizer gives ids beyond the model's vocabulary");
  auto inputs = model.embed_tokens(ids.to(model.embed_tokens->weight.device())).to(device, torch::kFloat32);  // (N, T, C)
  StepContext step;
  std::tie(step.cos, step.sin) = model.rotary.cos_sin(0, T, device);
  step.is_causal = T > 1;

  const auto names = quantizable_weights(config, options.targets);
  ModelQuantStats result;
  result.settings = s;
  result.model_dir = loaded.dir.string();
  int64_t done = 0;
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    auto& layer = *model.layers[static_cast<size_t>(l)]->as<LlamaDecoderLayerImpl>();
    std::map<std::string, torch::Tensor> fp;  // the targeted projections in float32 on the device
    for (const auto& proj : options.targets) {
      const auto fetched = fetch(weight_name(l, proj));
      auto w = fetched.values.to(torch::kCPU, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
      if (fetched.release) fetched.release();
      projection(layer, proj)->weight.set_data(w);
      fp[proj] = w;
    }
    layer.to(device, torch::kFloat32);
    for (auto& [proj, w] : fp) w = projection(layer, proj)->weight.detach();
    std::map<std::string, std::pair<QuantizedTensor, LayerQuantStats>> done_layer;
    for (const auto& subset : subsets()) {
      std::vector<std::string> todo;
      for (const auto& p : subset)
        if (fp.count(p)) todo.push_back(p);
      if (todo.empty()) continue;
      HessianAccumulator hessian;  // one per subset: its projections see the same input
      LinearImpl* tap = projection(layer, todo.front());
      tap->input_observer = [&](const torch::Tensor& x) { hessian.add(x); };
      try {
        run_layer(layer, inputs, step, /*keep=*/false, options.cancel);
      } catch (...) {
        tap->input_observer = nullptr;
        throw;
      }
      tap->input_observer = nullptr;
      for (const auto& proj : todo) {
        const auto name = weight_name(l, proj);
        auto r = gptq_quantize_weight(fp[proj], hessian.H, s, name, options.keep_block_histograms, options.cancel);
        set_quantized(*projection(layer, proj), QuantizedWeight::from_host(r.quantized, device));
        fp.erase(proj);
        done_layer.emplace(proj, std::make_pair(std::move(r.quantized), std::move(r.stats)));
        if (options.progress) options.progress->progress("quantize", ++done, static_cast<int64_t>(names.size()));
      }
    }
    inputs = run_layer(layer, inputs, step, /*keep=*/true, options.cancel);  // the next layer's inputs
    layer.to(dtype);
    for (const auto& proj : options.targets) {  // in quantizable_weights order, as the checkpoint writer takes them
      auto& [q, stats] = done_layer.at(proj);
      if (store) store(weight_name(l, proj), std::move(q), stats);
      if (!options.keep_block_stats) {
        for (auto* v : {&stats.entropy_plain, &stats.entropy, &stats.offset, &stats.absmax, &stats.mse}) std::vector<float>().swap(*v);
        std::vector<int32_t>().swap(stats.candidate);
        std::vector<uint16_t>().swap(stats.histogram);
      }
      result.layers.push_back(std::move(stats));
    }
  }
  if (device.is_cuda()) torch::cuda::synchronize();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.finish();
  return result;
}

}  // namespace irq
