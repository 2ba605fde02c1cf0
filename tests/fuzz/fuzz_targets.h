// The parsers a user's files reach, as fuzz targets: each takes arbitrary
// bytes as the content of one file and must either accept them or throw
// irq::Error. Anything else (another exception, a crash, a sanitizer report,
// a hang) is a finding. Used by the deterministic mutation driver
// (mutation_driver.cpp, run by CTest) and by the libFuzzer entry
// (libfuzzer_entry.cpp, scripts/fuzz.sh with clang, ASan and UBSan).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace irq::fuzz {

struct Target {
  const char* name;     // also the corpus folder: tests/fuzz/corpus/<name>
  const char* file;     // the file name the bytes are written as
  void (*run)(const uint8_t* data, size_t size);
};

// Every target (all parsers are torch-free, in irq_base) and the driver's
// selftest.
const std::vector<Target>& targets();
const Target* find_target(const std::string& name);

}  // namespace irq::fuzz
