// Tolerant plugin loader: dlopen()s every lib*.so in the plugin folders,
// checks the ABI version and calls its registration; a plugin that fails to
// load, has the wrong ABI or throws is skipped with a logged reason, never
// crashing the program.
//   folders: $IRQ_PLUGIN_PATH (':'-separated), <exe>/../lib/irqlora/plugins,
//            <exe>/../plugins (the build tree)
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace irq {

struct PluginReport {
  std::vector<std::string> loaded;                           // plugin names
  std::vector<std::pair<std::string, std::string>> skipped;  // file, reason
};

PluginReport load_plugins(const std::vector<std::filesystem::path>& folders);
std::vector<std::filesystem::path> plugin_search_path();
std::string plugin_search_path_string();
// Loads the default folders once per process; returns the first report.
const PluginReport& ensure_plugins_loaded();

}  // namespace irq
