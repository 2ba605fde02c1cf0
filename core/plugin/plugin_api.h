// The ABI between the engine and its plugins (shared libraries in the plugin
// folders). A plugin exports two C symbols:
//   int  irq_plugin_abi_version(void);             must return kPluginAbiVersion
//   void irq_plugin_register(irq::PluginInfo* info); registers its formats
// and is compiled against the same core headers (C++ types cross the ABI).
#pragma once

#include <string>

namespace irq {

// Raise on every change to a type that crosses the boundary (QuantSettings,
// QuantizedTensor, QuantJob, DeviceQuantTensor, QuantFormat): 2 = QuantSettings
// gained GptqSettings; a plugin built against 1 read its fields at wrong offsets.
// 3 = QuantFormat::search_curve. 4 = QuantJob on a CUDA device, the GPU tiles and
// decode product (dequantize_rows_cuda, gemv_cuda).
inline constexpr int kPluginAbiVersion = 4;

struct PluginInfo {
  std::string name;         // filled by the plugin
  std::string description;  // filled by the plugin
};

}  // namespace irq

#define IRQ_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
