// A Hugging Face checkpoint's weights: one model.safetensors, or shards listed
// by model.safetensors.index.json ({"weight_map": {tensor: shard file}}).
// Lookup by HF tensor name across shards; every error names the file.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace irq {

class CheckpointWeights {
 public:
  // Opens and validates every shard of the model directory `dir`.
  static CheckpointWeights open(const std::filesystem::path& dir);
  // Whether `dir` holds a safetensors checkpoint for open() (the single file
  // or the sharded index), valid or not.
  static bool present(const std::filesystem::path& dir);

  struct Entry {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  // nullptr-file Entry when absent.
  Entry find(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const std::vector<SafetensorsFile>& files() const { return files_; }
  uint64_t total_bytes() const;

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, std::pair<size_t, size_t>> by_name_;  // name -> (file, tensor index)
};

}  // namespace irq
