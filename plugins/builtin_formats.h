// The quantization formats built into this program (plugins/<name>/, listed
// in plugins/formats.cmake IRQ_FORMATS), registered in the engine's format
// table (quant/quant_format.h). Front ends call one of these once at start.
#pragma once

namespace irq {

// What each built-in format is (torch-free: methods, validation, checkpoint
// payload), from libirq_format_descriptions: the light front end's.
__attribute__((visibility("default"))) void register_builtin_format_descriptions();
// Their descriptions and compute (libirq_formats: the engine's). Later calls
// of either do nothing. Thread-safe.
__attribute__((visibility("default"))) void register_builtin_formats();

}  // namespace irq
