// The quantizer registry.
#include "quant/quant_format.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "common/error.h"

namespace irq {

namespace {
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::unique_ptr<QuantFormat>>& registry() {
  static std::map<std::string, std::unique_ptr<QuantFormat>> r;
  return r;
}
std::string format_of(const std::string& method) { return method.rfind("int", 0) == 0 ? "int" : method; }
}  // namespace

void register_quant_format(QuantFormat format) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const std::string name = format.name;
  registry()[name] = std::make_unique<QuantFormat>(std::move(format));
}

const QuantFormat* find_quant_format(const std::string& method) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(format_of(method));
  return it == registry().end() ? nullptr : it->second.get();
}

const QuantFormat& require_quant_format(const std::string& method) {
  if (const QuantFormat* f = find_quant_format(method)) return *f;
  std::string have;
  for (const auto& n : quant_format_names()) have += (have.empty() ? "" : ", ") + n;
  throw make_error(ErrorKind::kUnsupported, "quantization method '" + method + "'",
                   "no format provides it (formats in this build: " + (have.empty() ? std::string("none registered") : have) + ")");
}

std::vector<std::string> quant_format_names() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& kv : registry()) names.push_back(kv.first);
  return names;
}

void throw_non_finite(const std::string& name, int64_t index, float value) {
  throw make_error(ErrorKind::kInvalidInput, "tensor '" + name + "'",
                   std::string(std::isnan(value) ? "NaN" : "Inf") + " at flat index " + std::to_string(index) +
                       ": cannot quantize non-finite weights");
}

void check_finite(const float* w, int64_t n, const std::string& name) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(w[i])) throw_non_finite(name, i, w[i]);
}

}  // namespace irq
