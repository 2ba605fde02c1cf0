// Streaming safetensors writer: the header (all names, dtypes, shapes and
// offsets) is written first from a declared list, then each tensor's bytes
// in the declared order, so a file larger than memory can be written while
// its tensors are produced one at a time. Format in io/safetensors.h.
// The file is written to "<path>.tmp-<pid>" and renamed by finish().
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace irq {

struct TensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t bytes() const;
};

class SafetensorsStreamWriter {
 public:
  SafetensorsStreamWriter(const std::filesystem::path& path, std::vector<TensorSpec> specs,
                          const std::map<std::string, std::string>& metadata = {});
  ~SafetensorsStreamWriter();  // removes the temporary file unless finish() succeeded
  SafetensorsStreamWriter(const SafetensorsStreamWriter&) = delete;
  SafetensorsStreamWriter& operator=(const SafetensorsStreamWriter&) = delete;

  // The next declared tensor; throws Error(kUsage) on a wrong name or size.
  void write(const std::string& name, const void* data, uint64_t bytes);
  const std::string& next_name() const;
  bool done() const { return next_ == specs_.size(); }
  void finish();  // all written: flush, fsync, rename

 private:
  std::filesystem::path path_, tmp_;
  std::vector<TensorSpec> specs_;
  size_t next_ = 0;
  std::ofstream out_;
  bool finished_ = false;
};

}  // namespace irq
