// Options shared by the verbs that load a model (--device, --dtype) and the
// loading itself with a progress bar.
#pragma once

#include "cli/args.h"
#include "model/model_loader.h"

namespace irq::cli {

std::vector<OptionSpec> model_options();
LoadedModel load_for_cli(const ParsedArgs& args, bool require_tokenizer);

}  // namespace irq::cli
