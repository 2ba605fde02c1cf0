// Whole-model quantization runs and single-layer inspection (see quant_job.h).
#include "jobs/quant_job.h"

#include <memory>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "common/error.h"
#include "jobs/cli_words.h"
#include "io/checkpoint.h"
#include "io/tensor_view.h"
#include "model/llama_config.h"
#include "quant/model_quantizer.h"
#include "quant/quantize_weights.h"
#include "common/atomic_file.h"
#include "jobs/job_problems.h"
#include "quant/quant_checkpoint.h"
#include "runtime/runtime.h"

namespace fs = std::filesystem;

namespace irq {

std::vector<std::string> quantize_cli_args(const QuantizeRequest& r) {
  const QuantSettings& s = r.settings;
  std::vector<std::string> a = {r.model_dir.string(), "--method", s.method, "--group", std::to_string(s.block_size), "--device", r.device};
  if (s.icq) a.insert(a.end(), {"--icq", "--lambda", cli_number(s.lambda), "--n", std::to_string(s.n)});
  else a.emplace_back("--no-icq");
  const auto gptq = gptq_cli_args(s.gptq);
  a.insert(a.end(), gptq.begin(), gptq.end());
  const auto targets = cli_list_args("--targets", r.targets);
  a.insert(a.end(), targets.begin(), targets.end());
  if (!r.out_dir.empty()) a.insert(a.end(), {"--out", r.out_dir.string()});
  if (r.force) a.emplace_back("--force");
  if (!r.stats_json.empty()) a.insert(a.end(), {"--stats", r.stats_json.string()});
  if (!r.block_stats) a.emplace_back("--no-block-stats");
  return a;
}

std::vector<std::string> validate(const QuantizeRequest& r) {
  std::vector<std::string> out;
  if (r.model_dir.empty()) out.push_back("model_dir: open a model first");
  try {
    r.settings.validate();
  } catch (const Error& e) {
    out.push_back(std::string("settings: ") + e.what());
  }
  if (r.targets.empty()) out.push_back("targets: name at least one projection");
  try {
    check_projection_names(r.targets, "targets", ErrorKind::kUsage);
    parse_device(r.device);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kUnsupported) out.push_back(e.what());  // a device this machine lacks: loading says so
  }
  std::error_code ec;
  if (!r.out_dir.empty() && fs::exists(r.out_dir, ec) && !r.force) out.push_back(r.out_dir.string() + ": exists; pass --force to overwrite");
  return out;
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

QuantizeOutcome run_quantize(const QuantizeRequest& r, ProgressSink* progress, const CancelToken* cancel, const RunEvents& events) {
  throw_if_problems("quantize", validate(r));
  init_runtime();
  QuantizeOutcome out;
  ModelQuantOptions o;
  o.settings = r.settings;
  o.targets = r.targets;
  o.progress = progress;
  o.cancel = cancel;
  // Streamed from the checkpoint either way; on the GPU when asked (auto: when
  // there is one): GPTQ's calibration layers, and the formats' search and encoding.
  const torch::Device device = parse_device(r.device);
  o.use_cuda = device.is_cuda();
  o.cuda_device = device.has_index() ? device.index() : 0;
  // Both layouts earlier runs have: the setting's fields at the top (as
  // `irqlora quantize` recorded them) and under "quant" (as the workbench's
  // quantize runs and every other kind of run record them); the targets as
  // a comma list; the front end.
  nlohmann::json config = r.settings.to_json();
  config["quant"] = r.settings.to_json();
  std::string targets;
  for (const auto& t : r.targets) targets += (targets.empty() ? "" : ",") + t;
  config["targets"] = targets;
  config["front_end"] = r.front_end;
  ReportedRun rec(events, r.db_path, "quantize", r.model_dir, config, o.use_cuda ? "cuda" : "cpu");
  out.run_id = rec.id();
  rec.record([&] {
    // The checkpoint is streamed: each quantized layer goes to disk as it is made.
    std::unique_ptr<QuantCheckpointWriter> writer;
    if (!r.out_dir.empty()) {
      const auto names = quantizable_weights(LlamaConfig::from_file(r.model_dir / "config.json"), r.targets);
      writer = std::make_unique<QuantCheckpointWriter>(r.model_dir, r.out_dir, r.settings, names, r.force);
    }
    out.stats = quantize_checkpoint(r.model_dir, o, [&](const std::string& name, QuantizedTensor&& q, const LayerQuantStats&) {
      if (writer) writer->add(name, q);
    });
    if (!r.stats_json.empty()) write_text_atomic(r.stats_json, to_json(out.stats, /*per_block=*/r.block_stats).dump() + "\n");
    if (writer) writer->finish();
    if (RunsDb* db = rec.recorder().db()) db->add_quant_layers(out.run_id, out.stats);
    rec.metrics(0, {{"mean_entropy_plain", out.stats.mean_entropy_plain}, {"mean_entropy", out.stats.mean_entropy},
                    {"mse", out.stats.mse}, {"sqnr_db", out.stats.sqnr_db}, {"bits_per_weight", out.stats.bits_per_weight},
                    {"weights_per_second", out.stats.seconds > 0 ? out.stats.numel / out.stats.seconds : 0.0}});
    if (writer) rec.artifact("quantized-checkpoint", r.out_dir);
    if (!r.stats_json.empty()) rec.artifact("quant-stats", r.stats_json);
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
  return require_quant_format(settings.method).block_members(shape, settings, b);
}

std::vector<SearchPoint> LayerInspection::search_curve(int64_t b) const {
  const QuantFormat& format = require_quant_format(settings.method);
  if (!format.search_curve) return {};
  std::vector<float> block;
  for (int64_t i : block_indices(b)) block.push_back(weights[static_cast<size_t>(i)]);
  return format.search_curve(block.data(), static_cast<int64_t>(block.size()), settings);
}

std::vector<float> LayerInspection::block_levels(bool icq_side, int64_t b) const {
  return require_quant_format(settings.method).block_levels(icq_side ? q_icq : q_plain, b);
}

}  // namespace irq
