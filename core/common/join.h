// Items joined into one line for messages and help: "a, b, c", or with a
// different last separator, "a, b or c".
#pragma once

#include <string>
#include <vector>

namespace irq {

inline std::string join(const std::vector<std::string>& items, const std::string& sep = ", ", const std::string& last_sep = "") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size() && !last_sep.empty()) ? last_sep : sep;
    out += items[i];
  }
  return out;
}

}  // namespace irq
