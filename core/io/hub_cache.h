// Models by name: a MODEL_DIR argument may be a Hugging Face repo id
// ("org/name", optional revision) resolved offline in the local hub cache,
// the layout huggingface_hub writes: <cache>/models--org--name/refs/<rev>
// holds a commit hash, snapshots/<hash>/ the files. Caches searched in order:
// $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub. No network access
// is ever attempted.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace irq {

std::vector<std::filesystem::path> hub_cache_dirs();

// `spec` when it names an existing path, or when it does not look like a
// repo id (the loader then reports it); else the snapshot folder of the repo
// at `revision` ("" = main; a branch, a tag or a commit hash). Throws
// Error(kNotFound) saying where it looked.
std::filesystem::path resolve_model_dir(const std::string& spec, const std::string& revision = "");

}  // namespace irq
