// irqlora quantize MODEL_DIR --method nf4|int2|int3|int4|int8 [--group G]
//   [--icq|--no-icq] [--lambda L] [--n N] [--targets q,k,v,o,gate,up,down]
//   [--gptq --calib FILE [--nsamples N --seqlen T --calib-seed S --sym --act-order --damp D]] [--device D]
//   [--stats stats.json] [--no-block-stats] [--out DIR] [--force]
// Streams over the decoder projections with a progress bar, prints entropy
// before/after ICQ, error and size per layer and for the model, writes the
// per-layer and per-block statistics as JSON and (--out) the quantized checkpoint.
#include <cstdio>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/model_options.h"
#include "cli/progress_bar.h"
#include "cli/run_recorder.h"
#include "cli/verbs.h"
#include "common/atomic_file.h"
#include "model/llama_config.h"
#include "quant/model_quantizer.h"
#include "quant/quant_checkpoint.h"
#include "runtime/runtime.h"

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

int run_quantize(const ParsedArgs& args) {
  init_runtime();
  const std::filesystem::path dir = args.positional[0];
  ModelQuantOptions options;
  options.settings = QuantSettings::for_method(args.str("method"));
  if (args.has("group")) options.settings.block_size = args.integer("group");
  if (args.has("n")) options.settings.n = static_cast<int>(args.integer("n"));
  options.settings.lambda = args.number("lambda");
  if (args.flag("icq") && args.flag("no-icq")) throw Error(ErrorKind::kUsage, "--icq and --no-icq exclude each other");
  options.settings.icq = !args.flag("no-icq");
  options.settings.gptq = gptq_from_args(args);
  options.settings.validate();
  const torch::Device device = parse_device(args.str("device"));
  options.use_cuda = device.is_cuda();
  options.cuda_device = device.has_index() ? device.index() : 0;
  options.targets = parse_targets(args.str("targets"));
  const bool write_out = args.has("out");
  if (write_out && std::filesystem::exists(args.str("out")) && !args.flag("force"))
    throw make_error(ErrorKind::kUsage, args.str("out"), "exists; pass --force to overwrite");

  nlohmann::json config = options.settings.to_json();
  config["targets"] = args.str("targets");
  RunRecorder rec(args, "quantize", dir.string(), config, options.use_cuda ? "cuda" : "cpu");
  return rec.record([&] {
    ProgressBar bar;
    options.progress = &bar;
    // The checkpoint is streamed: each quantized layer goes to disk as it is made.
    std::unique_ptr<QuantCheckpointWriter> writer;
    if (write_out) {
      const auto names = quantizable_weights(LlamaConfig::from_file(dir / "config.json"), options.targets);
      writer = std::make_unique<QuantCheckpointWriter>(dir, args.str("out"), options.settings, names, args.flag("force"));
    }
    const auto stats = quantize_checkpoint(dir, options, [&](const std::string& name, QuantizedTensor&& q, const LayerQuantStats&) {
      if (writer) writer->add(name, q);
    });
    bar.finish();

    std::printf("%s on %s: %lld tensors, %.3g weights in %.2f s (%.3g weights/s)\n", options.settings.label().c_str(),
                dir.c_str(), (long long)stats.layers.size(), (double)stats.numel, stats.seconds, stats.numel / stats.seconds);
    std::printf("%-44s %9s %9s %8s %10s %8s %6s\n", "tensor", "H plain", "H icq", "gain", "mse", "SQNR dB", "bits");
    for (const auto& l : stats.layers)
      std::printf("%-44s %9.4f %9.4f %+8.4f %10.3e %8.2f %6.3f\n", l.name.c_str(), l.mean_entropy_plain, l.mean_entropy,
                  l.entropy_gain(), l.mse_total, l.sqnr_db, l.bits_per_weight);
    std::printf("%-44s %9.4f %9.4f %+8.4f %10.3e %8.2f %6.3f\n", "model", stats.mean_entropy_plain, stats.mean_entropy,
                stats.mean_entropy - stats.mean_entropy_plain, stats.mse, stats.sqnr_db, stats.bits_per_weight);
    print_phases(stats);
    if (args.has("stats")) {
      write_text_atomic(args.str("stats"), to_json(stats, /*per_block=*/!args.flag("no-block-stats")).dump() + "\n");
      std::printf("stats: %s\n", args.str("stats").c_str());
    }
    if (writer) {
      writer->finish();
      std::printf("quantized checkpoint: %s\n", args.str("out").c_str());
    }
    rec.layers(stats);  // recorded, and streamed with --progress jsonl
    rec.metrics(0, {{"mean_entropy_plain", stats.mean_entropy_plain}, {"mean_entropy", stats.mean_entropy},
                    {"sqnr_db", stats.sqnr_db}, {"bits_per_weight", stats.bits_per_weight},
                    {"weights_per_second", stats.numel / stats.seconds}});
    if (writer) rec.artifact("quantized-checkpoint", args.str("out"));
    if (args.has("stats")) rec.artifact("quant-stats", args.str("stats"));
    return 0;
  });
}

}  // namespace

Verb quantize_verb() {
  VerbSpec spec{"quantize", "MODEL_DIR", "quantize the decoder projections (NF4/INT-k, with or without ICQ); stats and checkpoint", {}, 1, 1};
  spec.options = {{"method", "M", "nf4, int2, int3, int4, int8", "nf4"},
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
  return {spec, &run_quantize};
}

}  // namespace irq::cli
