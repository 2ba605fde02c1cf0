// Quantization behind a torch-free interface: a whole-model pass streamed
// from the checkpoint — the one path of `irqlora quantize`, the Quantize tab
// and remote runs: per-layer and per-block statistics, the quantized
// checkpoint streamed to disk as layers are made, the statistics JSON, the
// run recorded (config, layers, metrics, artifacts) — and the inspection of
// one layer for the Weights view — its
// float weights and both the plain and the ICQ quantization with per-block
// code histograms, tau, error and the reconstruction levels of every block.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/progress.h"
#include "jobs/run_events.h"
#include "quant/quant_format.h"
#include "quant/quant_settings.h"
#include "quant/quant_stats.h"
#include "quant/quantized_tensor.h"
#include "runs/runs_db.h"

namespace irq {

struct QuantizeRequest {
  std::filesystem::path model_dir;
  std::filesystem::path db_path;  // empty: do not record
  QuantSettings settings;
  std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  std::string device = "auto";         // where the search, the encoding and GPTQ's layers run
  std::filesystem::path out_dir;       // optional: the quantized checkpoint (irqlora-quant layout)
  bool force = false;                  // overwrite out_dir
  std::filesystem::path stats_json;    // optional: per-layer (and per-block) statistics
  bool block_stats = true;             // the per-block arrays in stats_json
  std::string front_end = "workbench";  // recorded in the run's config
};

// Every problem, each starting with its field's name.
std::vector<std::string> validate(const QuantizeRequest& r);

struct QuantizeOutcome {
  ModelQuantStats stats;
  int64_t run_id = -1;
};

// Throws Error (kUsage with validate()'s problems, kCancelled when
// cancelled). Progress: ("quantize", layer, layers). events: the run's id,
// its metric row and artifacts (the per-layer rows are in the outcome).
QuantizeOutcome run_quantize(const QuantizeRequest& r, ProgressSink* progress = nullptr, const CancelToken* cancel = nullptr,
                             const RunEvents& events = {});

// The `irqlora quantize` arguments that run this request through the CLI (a
// remote job, jobs/remote_job.h): every field but db_path (the CLI there
// records into its own database, the local record is the remote job's).
std::vector<std::string> quantize_cli_args(const QuantizeRequest& r);
// A pass's statistics from what a remote run reports: its layers' rows (the
// runs database's figures; per-block arrays are not streamed) and its
// weights/s; model figures recomputed from the rows.
ModelQuantStats stats_from_rows(const std::vector<LayerRow>& rows, const QuantSettings& settings, double weights_per_second);

struct LayerInspection {
  std::string name;  // HF weight name
  std::vector<int64_t> shape;
  QuantSettings settings;      // ICQ on; `plain` used the same with ICQ off
  std::vector<float> weights;  // row-major float32
  LayerQuantStats plain, icq;  // with per-block code histograms
  QuantizedTensor q_plain, q_icq;

  int64_t blocks() const { return icq.blocks; }
  // Flat indices of the weights in block b (NF4: b*B .. b*B+B-1 within numel;
  // INT: one (row, group) of columns).
  std::vector<int64_t> block_indices(int64_t b) const;
  // The values block b's codes reconstruct to (2^bits entries, ascending code).
  std::vector<float> block_levels(bool icq_side, int64_t b) const;
  // ICQ's search on block b: every candidate's offset and code entropy, in
  // candidate order (icq.candidate[b] is the first highest). Empty when the
  // format's plugin has no search_curve.
  std::vector<SearchPoint> search_curve(int64_t b) const;
};

// The weight names that can be inspected (the decoder projections, in order).
std::vector<std::string> inspectable_weights(const std::filesystem::path& model_dir);
LayerInspection inspect_layer(const std::filesystem::path& model_dir, const std::string& weight_name, const QuantSettings& settings,
                              const CancelToken* cancel = nullptr);

}  // namespace irq
