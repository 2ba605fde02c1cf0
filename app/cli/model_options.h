// Options shared by the verbs that load a model (--device, --dtype) and the
// loading itself with a progress bar.
#pragma once

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "jobs/eval_model_spec.h"
#include "model/model_loader.h"

namespace irq::cli {

std::vector<OptionSpec> model_options();
LoadedModel load_for_cli(const ParsedArgs& args, bool require_tokenizer);

// --quant METHOD [--quant-group G] [--quant-no-icq]: load_for_cli already
// quantizes on load when the verb has --quant (quant/load_quantized.h); this
// returns the settings as JSON (null when not given), quantizing in place
// only a model that was loaded otherwise.
std::vector<OptionSpec> quant_options();
// GPTQ's options, the same on `quantize` and every verb with --quant:
// --gptq --calib FILE [--nsamples N] [--seqlen T] [--calib-seed S] [--sym]
// [--act-order] [--damp D]; gptq_from_args reads them (calib made absolute,
// so that an adapter's recorded base can be rebuilt from another directory).
std::vector<OptionSpec> gptq_options();
GptqSettings gptq_from_args(const ParsedArgs& args);
nlohmann::json quantize_for_cli(LoadedModel& model, const ParsedArgs& args);

// The model an evaluation job loads, from MODEL_DIR, --adapter, --quant*,
// --device and --dtype.
EvalModelSpec eval_model_spec(const ParsedArgs& args);

}  // namespace irq::cli
