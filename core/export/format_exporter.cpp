// The table of the formats' exporters (format_exporter.h).
#include "export/format_exporter.h"

#include "common/named_registry.h"

namespace irq {

namespace {

NamedRegistry<FormatExporter>& exporters() {
  static NamedRegistry<FormatExporter> e;
  return e;
}

}  // namespace

void register_format_exporter(FormatExporter exporter) { exporters().put(std::move(exporter)); }

const FormatExporter* find_format_exporter(const std::string& name) { return exporters().find(name); }

std::vector<std::string> format_exporter_names() { return exporters().names(); }

}  // namespace irq
