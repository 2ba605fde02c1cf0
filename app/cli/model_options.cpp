// --device / --dtype handling and progress-reported model loading.
#include "cli/model_options.h"

#include "cli/progress_bar.h"
#include "runtime/runtime.h"

namespace irq::cli {

std::vector<OptionSpec> model_options() {
  return {{"device", "DEV", "cpu, cuda, cuda:N or auto", "auto"},
          {"dtype", "TYPE", "compute dtype: float32, bfloat16, float16 (default: float32 on CPU, bfloat16 on CUDA)", ""}};
}

LoadedModel load_for_cli(const ParsedArgs& args, bool require_tokenizer) {
  init_runtime();
  LoadOptions options;
  options.device = parse_device(args.str("device"));
  if (args.has("dtype")) options.dtype = parse_dtype(args.str("dtype"));
  options.require_tokenizer = require_tokenizer;
  ProgressBar bar;
  options.progress = &bar;
  auto loaded = load_model(args.positional.at(0), options);
  bar.finish();
  return loaded;
}

}  // namespace irq::cli
