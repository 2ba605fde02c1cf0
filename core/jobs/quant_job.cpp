// Whole-model quantization runs and single-layer inspection (see quant_job.h).
#include "jobs/quant_job.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/error.h"
#include "jobs/cli_words.h"
#include "io/checkpoint.h"
#include "io/tensor_view.h"
#include "model/llama_config.h"
#include "quant/dynamic_map.h"
#include "quant/model_quantizer.h"
#include "quant/nf4_levels.h"
#include "quant/quantize_weights.h"
#include "runs/run_recorder.h"

namespace fs = std::filesystem;

namespace irq {

std::vector<std::string> quantize_cli_args(const QuantizeRequest& r) {
  const QuantSettings& s = r.settings;
  std::vector<std::string> a = {r.model_dir.string(), "--method", s.method, "--group", std::to_string(s.block_size)};
  if (s.icq) a.insert(a.end(), {"--icq", "--lambda", cli_number(s.lambda), "--n", std::to_string(s.n)});
  else a.emplace_back("--no-icq");
  const auto gptq = gptq_cli_args(s.gptq);
  a.insert(a.end(), gptq.begin(), gptq.end());
  return a;
}

ModelQuantStats stats_from_rows(const std::vector<LayerRow>& rows, const QuantSettings& settings, double weights_per_second) {
  ModelQuantStats st;
  st.settings = settings;
  for (const auto& r : rows) {
    LayerQuantStats l;
    l.name = r.name;
    l.numel = r.numel;
    l.mean_entropy_plain = r.entropy_plain;
    l.mean_entropy = r.entropy;
    l.mse_total = r.mse;
    l.sqnr_db = r.sqnr_db;
    l.bits_per_weight = r.bits_per_weight;
    l.offset_spread = r.offset_spread;
    st.layers.push_back(std::move(l));
  }
  st.finish();
  st.seconds = weights_per_second > 0 ? static_cast<double>(st.numel) / weights_per_second : 0;
  return st;
}

QuantizeOutcome run_quantize(const QuantizeRequest& r, ProgressSink* progress, const CancelToken* cancel) {
  r.settings.validate();
  QuantizeOutcome out;
  // On the GPU when there is one (streamed from the checkpoint either way):
  // GPTQ's calibration layers, and the formats' GPU search and encoding.
  const bool use_cuda = torch::cuda::is_available();
  RunRecorder rec(r.db_path, "quantize", r.model_dir, {{"quant", r.settings.to_json()}, {"front_end", "workbench"}},
                  use_cuda ? "cuda" : "cpu");
  out.run_id = rec.id();
  rec.record([&] {
    ModelQuantOptions o;
    o.settings = r.settings;
    o.use_cuda = use_cuda;
    o.progress = progress;
    o.cancel = cancel;
    out.stats = quantize_checkpoint(r.model_dir, o);
    if (RunsDb* db = rec.db()) db->add_quant_layers(out.run_id, out.stats);
    rec.metrics(0, {{"mean_entropy_plain", out.stats.mean_entropy_plain}, {"mean_entropy", out.stats.mean_entropy},
                    {"mse", out.stats.mse}, {"sqnr_db", out.stats.sqnr_db}, {"bits_per_weight", out.stats.bits_per_weight}});
  });
  return out;
}

std::vector<std::string> inspectable_weights(const fs::path& model_dir) {
  const ModelQuantOptions defaults;  // every projection
  return quantizable_weights(LlamaConfig::from_file(model_dir / "config.json"), defaults.targets);
}

LayerInspection inspect_layer(const fs::path& model_dir, const std::string& weight_name, const QuantSettings& settings,
                              const CancelToken* cancel) {
  LayerInspection li;
  li.name = weight_name;
  li.settings = settings;
  li.settings.icq = true;
  const auto weights = CheckpointWeights::open(model_dir);
  const auto entry = weights.find(weight_name);
  if (!entry.file) throw make_error(ErrorKind::kNotFound, model_dir.string(), "checkpoint has no tensor '" + weight_name + "'");
  {
    const torch::Tensor w = tensor_view(*entry.file, *entry.info).to(torch::kFloat32).contiguous();
    li.shape = w.sizes().vec();
    li.weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }
  for (const bool icq : {false, true}) {
    ModelQuantOptions o;
    o.settings = li.settings;
    o.settings.icq = icq;
    o.keep_block_histograms = true;
    o.cancel = cancel;
    const auto stats = quantize_weights(
        {weight_name}, model_dir.string(), o,
        [&](const std::string&) {
          return FetchedWeight{torch::from_blob(li.weights.data(), li.shape, torch::kFloat32), {}};
        },
        [&](const std::string&, QuantizedTensor&& q, const LayerQuantStats& s) {
          (icq ? li.q_icq : li.q_plain) = std::move(q);
          (icq ? li.icq : li.plain) = s;
        });
    (void)stats;
  }
  return li;
}

std::vector<int64_t> LayerInspection::block_indices(int64_t b) const {
  std::vector<int64_t> out;
  const int64_t numel = static_cast<int64_t>(weights.size());
  const int64_t cols = shape.size() == 2 ? shape[1] : numel, G = settings.group_columns(cols);
  if (settings.method == "nf4") {
    for (int64_t k = b * G; k < std::min(numel, (b + 1) * G); ++k) out.push_back(k);
  } else {
    const int64_t groups = (cols + G - 1) / G;
    const int64_t row = b / groups, g = b % groups;
    for (int64_t c = g * G; c < std::min(cols, (g + 1) * G); ++c) out.push_back(row * cols + c);
  }
  return out;
}

std::vector<SearchPoint> LayerInspection::search_curve(int64_t b) const {
  const QuantFormat& format = require_quant_format(settings.method);
  if (!format.search_curve) return {};
  std::vector<float> block;
  for (int64_t i : block_indices(b)) block.push_back(weights[static_cast<size_t>(i)]);
  // NF4 quantizes the last partial block zero-padded to the block size.
  if (settings.method == "nf4") block.resize(static_cast<size_t>(settings.block_size), 0.0f);
  return format.search_curve(block.data(), static_cast<int64_t>(block.size()), settings);
}

std::vector<float> LayerInspection::block_levels(bool icq_side, int64_t b) const {
  const QuantizedTensor& q = icq_side ? q_icq : q_plain;
  std::vector<float> out;
  if (settings.method == "nf4") {
    const auto& map = dynamic_map_8bit();
    const size_t i = static_cast<size_t>(b), g = static_cast<size_t>(b / settings.stats_block);
    const float amax = map[q.absmax_q[i]] * q.absmax_scale[g] + q.absmax_offset;
    const float tau = q.tau_q.empty() ? 0.0f : map[q.tau_q[i]] * q.tau_scale[g];
    for (float level : kNf4Levels) out.push_back(level * amax + tau);
  } else {
    const int n = 1 << settings.bits;
    const size_t i = static_cast<size_t>(b);
    for (int c = 0; c < n; ++c) out.push_back(q.scale[i] * (static_cast<float>(c) - q.zero[i]));
  }
  return out;
}

}  // namespace irq
