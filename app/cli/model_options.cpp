// --device / --dtype handling and progress-reported model loading.
#include "cli/model_options.h"

#include "cli/progress_bar.h"
#include "quant/load_quantized.h"
#include "quant/quantize_model.h"
#include "lora/adapter_io.h"
#include "runtime/runtime.h"

#include <cstdio>

namespace irq::cli {

std::vector<OptionSpec> model_options() {
  return {{"device", "DEV", "cpu, cuda, cuda:N or auto", "auto"},
          {"dtype", "TYPE", "compute dtype: float32, bfloat16, float16 (default: float32 on CPU, bfloat16 on CUDA)", ""}};
}

namespace {

ModelQuantOptions quant_from_args(const ParsedArgs& args) {
  ModelQuantOptions o;
  o.settings = QuantSettings::for_method(args.str("quant"));
  o.settings.block_size = args.integer("quant-group");
  o.settings.icq = !args.flag("quant-no-icq") && !args.flag("no-icq");  // finetune spells it --no-icq
  o.settings.gptq = gptq_from_args(args);
  o.settings.validate();
  return o;
}

void print_quant_stats(const ModelQuantOptions& o, const ModelQuantStats& stats) {
  ModelQuantStats labelled = stats;
  labelled.settings = o.settings;
  std::fprintf(stderr, "%s\n", labelled.summary().c_str());
}

}  // namespace

LoadedModel load_for_cli(const ParsedArgs& args, bool require_tokenizer) {
  init_runtime();
  LoadOptions options;
  options.device = parse_device(args.str("device"));
  if (args.has("dtype")) options.dtype = parse_dtype(args.str("dtype"));
  options.require_tokenizer = require_tokenizer;
  ProgressBar bar;
  options.progress = &bar;
  if (args.has("quant")) {  // quantize on load: the full-precision model never exists
    const auto o = quant_from_args(args);
    ModelQuantStats stats;
    auto loaded = load_quantized(args.positional.at(0), options, o, &stats);
    bar.finish();
    print_quant_stats(o, stats);
    return loaded;
  }
  if (args.has("adapter")) {  // the adapter's own quantized base, quantized on load (load_adapter checks it)
    if (auto o = adapter_base_quant(args.str("adapter"))) {
      if (args.has("requantize-n") && o->settings.icq) o->settings.n = static_cast<int>(args.integer("requantize-n"));
      auto loaded = load_quantized(args.positional.at(0), options, *o);
      bar.finish();
      return loaded;
    }
  }
  auto loaded = load_model(args.positional.at(0), options);
  bar.finish();
  return loaded;
}

std::vector<OptionSpec> quant_options() {
  std::vector<OptionSpec> o = {{"quant", "METHOD", "quantize the base in place first: {quant_methods}", ""},
                               {"quant-group", "G", "block/group size of --quant (INT: 0 = per channel)", "64"},
                               {"quant-no-icq", "", "plain quantization for --quant (default: ICQ)", ""}};
  for (auto& g : gptq_options()) o.push_back(g);
  return o;
}

std::vector<OptionSpec> gptq_options() {
  return {{"gptq", "", "INT-k by GPTQ (AutoGPTQ's algorithm; with ICQ its entropy search picks scale/zero)", ""},
          {"calib", "FILE", "GPTQ calibration text, tokenized with the model's tokenizer", ""},
          {"nsamples", "N", "GPTQ calibration segments", "128"},
          {"seqlen", "T", "GPTQ tokens per calibration segment", "2048"},
          {"calib-seed", "S", "seed of the calibration segments' starts", "0"},
          {"sym", "", "GPTQ symmetric range (zero = 2^(k-1)); default asymmetric", ""},
          {"act-order", "", "GPTQ columns by descending Hessian diagonal (groups stay contiguous: static groups)", ""},
          {"damp", "D", "GPTQ dampening, a fraction of the mean Hessian diagonal", "0.01"}};
}

GptqSettings gptq_from_args(const ParsedArgs& args) {
  GptqSettings g;
  g.enabled = args.flag("gptq");
  if (!g.enabled) {
    for (const char* o : {"calib", "sym", "act-order"})
      if (args.has(o)) throw Error(ErrorKind::kUsage, std::string("--") + o + " is a GPTQ option: add --gptq");
    return g;
  }
  if (!args.has("calib")) throw Error(ErrorKind::kUsage, "--gptq needs calibration text: --calib FILE");
  g.calib = std::filesystem::absolute(args.str("calib")).string();
  g.nsamples = args.integer("nsamples");
  g.seqlen = args.integer("seqlen");
  g.seed = static_cast<uint64_t>(args.integer("calib-seed"));
  g.sym = args.flag("sym");
  g.act_order = args.flag("act-order");
  g.damp = args.number("damp");
  return g;
}

nlohmann::json quantize_for_cli(LoadedModel& model, const ParsedArgs& args) {
  if (!args.has("quant")) return nullptr;
  const auto o = quant_from_args(args);
  bool quantized = false;  // load_for_cli quantized it on load already
  for (const auto& m : model.model->named_modules("", /*include_self=*/false))
    if (const auto* l = m.value()->as<LinearImpl>(); l && l->has_frozen_weight()) quantized = true;
  if (!quantized) {
    ModelQuantOptions in_place = o;
    ProgressBar bar;
    in_place.progress = &bar;
    const auto stats = quantize_model(model, in_place);
    bar.finish();
    print_quant_stats(o, stats);
  }
  return o.settings.to_json();
}

EvalModelSpec eval_model_spec(const ParsedArgs& args) {
  EvalModelSpec s;
  s.model_dir = args.positional.at(0);
  if (args.has("adapter")) s.adapter_dir = args.str("adapter");
  if (args.has("quant")) s.quant = args.str("quant");
  s.quant_group = args.integer("quant-group");
  s.icq = !args.flag("quant-no-icq");
  s.gptq = gptq_from_args(args);
  s.device = args.str("device");
  if (args.has("dtype")) s.dtype = args.str("dtype");
  if (args.has("requantize-n")) s.requantize_n = static_cast<int>(args.integer("requantize-n"));
  return s;
}

}  // namespace irq::cli
