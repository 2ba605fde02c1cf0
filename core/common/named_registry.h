// A process-wide table of entries that have a `name` (quantization formats,
// the formats' exporters), kept in order of first registration. Registering
// a name again replaces its entry in place; entries never move, so callers
// may keep pointers to them. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace irq {

template <typename T>
class NamedRegistry {
 public:
  void put(T entry) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& e : entries_)
      if (e->name == entry.name) {
        *e = std::move(entry);
        return;
      }
    entries_.push_back(std::make_unique<T>(std::move(entry)));
  }
  // The first entry `match` accepts; null when none does.
  template <typename Match>
  const T* find_if(Match match) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_)
      if (match(*e)) return e.get();
    return nullptr;
  }
  const T* find(const std::string& name) const {
    return find_if([&](const T& e) { return e.name == name; });
  }
  std::vector<const T*> entries() const {  // in order of registration
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<const T*> out;
    for (const auto& e : entries_) out.push_back(e.get());
    return out;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const T* e : entries()) out.push_back(e->name);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<T>> entries_;
};

}  // namespace irq
