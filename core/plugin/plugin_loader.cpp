// dlopen-based plugin loading with logged skips.
#include "plugin/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "common/log.h"
#include "plugin/plugin_api.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

fs::path exe_dir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return fs::path(buf).parent_path();
}

std::string load_one(const fs::path& file, PluginReport& report) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return std::string("dlopen failed: ") + ::dlerror();
  using AbiFn = int (*)();
  using RegisterFn = void (*)(PluginInfo*);
  auto abi = reinterpret_cast<AbiFn>(::dlsym(handle, "irq_plugin_abi_version"));
  auto reg = reinterpret_cast<RegisterFn>(::dlsym(handle, "irq_plugin_register"));
  if (!abi || !reg) {
    ::dlclose(handle);
    return "not an irqlora plugin (no irq_plugin_abi_version / irq_plugin_register)";
  }
  if (abi() != kPluginAbiVersion) {
    const int v = abi();
    ::dlclose(handle);
    return "plugin ABI " + std::to_string(v) + ", this build expects " + std::to_string(kPluginAbiVersion);
  }
  PluginInfo info;
  try {
    reg(&info);  // the handle stays open: registered functions live in it
  } catch (const std::exception& e) {
    return std::string("registration threw: ") + e.what();
  } catch (...) {
    return "registration threw an unknown exception";
  }
  report.loaded.push_back(info.name.empty() ? file.filename().string() : info.name);
  return {};
}

}  // namespace

std::vector<fs::path> plugin_search_path() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("IRQ_PLUGIN_PATH"); env && *env) {
    std::string s = env;
    size_t start = 0, colon;
    while ((colon = s.find(':', start)) != std::string::npos) {
      if (colon > start) dirs.emplace_back(s.substr(start, colon - start));
      start = colon + 1;
    }
    if (start < s.size()) dirs.emplace_back(s.substr(start));
  }
  const fs::path exe = exe_dir();
  if (!exe.empty()) {
    dirs.push_back(exe.parent_path() / "lib" / "irqlora" / "plugins");
    dirs.push_back(exe.parent_path() / "plugins");
  }
  return dirs;
}

std::string plugin_search_path_string() {
  std::string s;
  for (const auto& d : plugin_search_path()) s += (s.empty() ? "" : ":") + d.string();
  return s;
}

PluginReport load_plugins(const std::vector<fs::path>& folders) {
  PluginReport report;
  for (const auto& dir : folders) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.rfind("lib", 0) == 0 && e.path().extension() == ".so") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string why = load_one(f, report);
      if (!why.empty()) {
        report.skipped.emplace_back(f.string(), why);
        log_message(LogLevel::kWarning, "plugin " + f.string() + " skipped: " + why);
      }
    }
  }
  return report;
}

const PluginReport& ensure_plugins_loaded() {
  static std::once_flag once;
  static PluginReport report;
  std::call_once(once, [] {
    report = load_plugins(plugin_search_path());
    if (report.loaded.empty())
      log_message(LogLevel::kWarning, "no quantizer plugins found in " + plugin_search_path_string());
  });
  return report;
}

}  // namespace irq
