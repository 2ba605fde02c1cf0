// The table of the formats' exporters (format_exporter.h).
#include "export/format_exporter.h"

#include <memory>
#include <mutex>

namespace irq {

namespace {

struct Exporters {
  std::mutex mutex;
  std::vector<std::unique_ptr<FormatExporter>> list;  // entries never move: callers keep pointers
};

Exporters& exporters() {
  static Exporters e;
  return e;
}

}  // namespace

void register_format_exporter(FormatExporter exporter) {
  auto& e = exporters();
  std::lock_guard<std::mutex> lock(e.mutex);
  for (auto& x : e.list)
    if (x->name == exporter.name) {
      *x = std::move(exporter);
      return;
    }
  e.list.push_back(std::make_unique<FormatExporter>(std::move(exporter)));
}

const FormatExporter* find_format_exporter(const std::string& name) {
  auto& e = exporters();
  std::lock_guard<std::mutex> lock(e.mutex);
  for (const auto& x : e.list)
    if (x->name == name) return x.get();
  return nullptr;
}

std::vector<std::string> format_exporter_names() {
  auto& e = exporters();
  std::lock_guard<std::mutex> lock(e.mutex);
  std::vector<std::string> names;
  for (const auto& x : e.list) names.push_back(x->name);
  return names;
}

}  // namespace irq
