// The quantization formats built into this program (plugins/<name>/, listed
// in plugins/CMakeLists.txt IRQ_FORMATS): registering them in the engine's
// format table (quant/quant_format.h). Front ends call it once at start.
#pragma once

namespace irq {

// Registers every built-in format; later calls do nothing. Thread-safe.
__attribute__((visibility("default"))) void register_builtin_formats();

}  // namespace irq
