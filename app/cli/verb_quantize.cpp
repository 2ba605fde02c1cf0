// irqlora quantize MODEL_DIR --method nf4|int2|int3|int4|int8 [--group G]
//   [--icq|--no-icq] [--lambda L] [--n N] [--targets q,k,v,o,gate,up,down]
//   [--gptq --calib FILE [--nsamples N --seqlen T --calib-seed S --sym --act-order --damp D]] [--device D]
//   [--stats stats.json] [--no-block-stats] [--out DIR] [--force]
// Streams over the decoder projections with a progress bar, prints entropy
// before/after ICQ, error and size per layer and for the model, writes the
// per-layer and per-block statistics as JSON and (--out) the quantized checkpoint.
#include <cstdio>
#include <map>

#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "jobs/quant_job.h"
#include "quant/model_quantizer.h"

namespace irq::cli {

namespace {

// Where the time went, summed over the tensors, in the order phases first appear.
void print_phases(const ModelQuantStats& stats) {
  std::vector<std::string> order;
  std::map<std::string, double> total;
  for (const auto& l : stats.layers)
    for (const auto& [name, s] : l.phases) {
      if (!total.count(name)) order.push_back(name);
      total[name] += s;
    }
  if (order.empty()) return;
  std::printf("time by phase, summed over the tensors (%.2f s in all):\n", stats.seconds);
  for (const auto& name : order) std::printf("  %-36s %8.2f s\n", name.c_str(), total[name]);
}

// Arguments -> request -> the quantize job (jobs/quant_job.h, as the
// workbench runs it) -> the per-layer table.
int run_quantize_verb(const ParsedArgs& args) {
  if (args.flag("icq") && args.flag("no-icq")) throw Error(ErrorKind::kUsage, "--icq and --no-icq exclude each other");
  QuantizeRequest r;
  r.model_dir = args.positional[0];
  r.db_path = record_db_path(args);
  r.settings = QuantSettings::for_method(args.str("method"));
  if (args.has("group")) r.settings.block_size = args.integer("group");
  if (args.has("n")) r.settings.n = static_cast<int>(args.integer("n"));
  r.settings.lambda = args.number("lambda");
  r.settings.icq = !args.flag("no-icq");
  r.settings.gptq = gptq_from_args(args);
  r.targets = parse_targets(args.str("targets"));
  r.device = args.str("device");
  if (args.has("out")) r.out_dir = args.str("out");
  r.force = args.flag("force");
  if (args.has("stats")) r.stats_json = args.str("stats");
  r.block_stats = !args.flag("no-block-stats");
  r.front_end = "cli";
  ProgressBar bar;
  const auto out = run_quantize(r, &bar, /*cancel=*/nullptr, cli_run_events(&bar));
  bar.finish();
  const ModelQuantStats& stats = out.stats;
  std::printf("%s on %s: %lld tensors, %.3g weights in %.2f s (%.3g weights/s)\n", r.settings.label().c_str(),
              r.model_dir.c_str(), (long long)stats.layers.size(), (double)stats.numel, stats.seconds, stats.numel / stats.seconds);
  std::printf("%-44s %9s %9s %8s %10s %8s %6s\n", "tensor", "H plain", "H icq", "gain", "mse", "SQNR dB", "bits");
  for (const auto& l : stats.layers)
    std::printf("%-44s %9.4f %9.4f %+8.4f %10.3e %8.2f %6.3f\n", l.name.c_str(), l.mean_entropy_plain, l.mean_entropy,
                l.entropy_gain(), l.mse_total, l.sqnr_db, l.bits_per_weight);
  std::printf("%-44s %9.4f %9.4f %+8.4f %10.3e %8.2f %6.3f\n", "model", stats.mean_entropy_plain, stats.mean_entropy,
              stats.mean_entropy - stats.mean_entropy_plain, stats.mse, stats.sqnr_db, stats.bits_per_weight);
  print_phases(stats);
  if (!r.stats_json.empty()) std::printf("stats: %s\n", r.stats_json.c_str());
  if (!r.out_dir.empty()) std::printf("quantized checkpoint: %s\n", r.out_dir.c_str());
  emit_layers(stats);  // --progress jsonl: each layer's row, as recorded
  return 0;
}

}  // namespace

Verb quantize_verb() {
  VerbSpec spec{"quantize", "MODEL_DIR", "quantize the decoder projections (NF4/INT-k, with or without ICQ); stats and checkpoint", {}, 1, 1};
  spec.options = {{"method", "M", "{quant_methods}", "nf4"},
                  {"group", "G", "block size (nf4) or group size (int; 0 = per channel)", "64"},
                  {"icq", "", "information calibration (the default)", ""},
                  {"no-icq", "", "plain quantization", ""},
                  {"lambda", "L", "ICQ search range", "0.1"},
                  {"n", "N", "ICQ candidates per side (default 100 nf4, 50 int)", ""},
                  {"targets", "LIST", "projections: all or e.g. q,k,v,o,gate,up,down", "all"},
                  {"stats", "FILE", "write per-layer and per-block statistics as JSON", ""},
                  {"no-block-stats", "", "leave the per-block arrays out of the JSON", ""},
                  {"out", "DIR", "write the quantized checkpoint (irqlora-quant layout)", ""},
                  {"force", "", "overwrite --out", ""},
                  {"device", "DEV", "where quantization runs (the search, the encoding, GPTQ's layers): cpu, cuda, cuda:N or auto", "auto"}};
  for (auto& o : gptq_options()) spec.options.push_back(o);
  for (auto& o : record_options()) spec.options.push_back(o);
  return {spec, &run_quantize_verb};
}

}  // namespace irq::cli
