// Peak resident memory of this process so far (VmHWM of /proc/self/status),
// the CPU memory figure of the bench verbs.
#pragma once

namespace irq::cli {

double peak_rss_bytes();

}  // namespace irq::cli
