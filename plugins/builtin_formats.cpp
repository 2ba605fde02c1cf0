// register_builtin_formats(): the descriptions, then each format folder's
// register_<name>_format() adding its compute, in the order of IRQ_FORMATS
// (builtin_formats_list.h, generated).
#include "builtin_formats.h"

#include <mutex>

namespace irq {

#define IRQ_FORMAT(name) void register_##name##_format();
#include "builtin_formats_list.h"
#undef IRQ_FORMAT

void register_builtin_formats() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_builtin_format_descriptions();
#define IRQ_FORMAT(name) register_##name##_format();
#include "builtin_formats_list.h"
#undef IRQ_FORMAT
  });
}

}  // namespace irq
