// VmHWM from /proc/self/status.
#include "cli/peak_rss.h"

#include <fstream>
#include <string>

namespace irq::cli {

double peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  double kb = 0;
  while (in >> key)
    if (key == "VmHWM:") {
      in >> kb;
      break;
    }
  return kb * 1024.0;
}

}  // namespace irq::cli
