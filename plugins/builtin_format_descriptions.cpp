// register_builtin_format_descriptions(): each format folder's
// register_<name>_format_description(), in the order of IRQ_FORMATS
// (builtin_formats_list.h, generated).
#include "builtin_formats.h"

#include <mutex>

namespace irq {

#define IRQ_FORMAT(name) void register_##name##_format_description();
#include "builtin_formats_list.h"
#undef IRQ_FORMAT

void register_builtin_format_descriptions() {
  static std::once_flag once;
  std::call_once(once, [] {
#define IRQ_FORMAT(name) register_##name##_format_description();
#include "builtin_formats_list.h"
#undef IRQ_FORMAT
  });
}

}  // namespace irq
