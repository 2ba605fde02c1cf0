// Single-file and sharded safetensors checkpoints.
#include "io/checkpoint.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "io/json_file.h"

namespace irq {

namespace fs = std::filesystem;

bool CheckpointWeights::present(const fs::path& dir) {
  return fs::exists(dir / "model.safetensors.index.json") || fs::exists(dir / "model.safetensors");
}

CheckpointWeights CheckpointWeights::open(const fs::path& dir) {
  CheckpointWeights ckpt;
  const fs::path index = dir / "model.safetensors.index.json";
  const fs::path single = dir / "model.safetensors";
  std::map<std::string, std::string> weight_map;  // tensor -> shard, from the index
  std::vector<std::string> shard_names;
  if (fs::exists(index)) {
    nlohmann::json j = read_json_file(index);
    if (j.is_discarded() || !j.is_object()) throw make_error(ErrorKind::kInvalidInput, index.string(), "not a JSON object");
    auto wm = j.find("weight_map");
    if (wm == j.end() || !wm->is_object())
      throw make_error(ErrorKind::kInvalidInput, index.string(), "missing \"weight_map\" object");
    std::set<std::string> unique;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
      if (!it->is_string()) throw make_error(ErrorKind::kInvalidInput, index.string(), "weight_map entry '" + it.key() + "' is not a file name");
      const std::string shard = it->get<std::string>();
      if (shard.find('/') != std::string::npos || shard == ".." )
        throw make_error(ErrorKind::kInvalidInput, index.string(), "shard name '" + shard + "' leaves the model directory");
      weight_map[it.key()] = shard;
      if (unique.insert(shard).second) shard_names.push_back(shard);
    }
  } else if (fs::exists(single)) {
    shard_names.push_back("model.safetensors");
  } else {
    throw make_error(ErrorKind::kNotFound, dir.string(), "no model.safetensors or model.safetensors.index.json");
  }

  ckpt.files_.reserve(shard_names.size());
  for (const auto& shard : shard_names) ckpt.files_.push_back(SafetensorsFile::open(dir / shard));
  for (size_t f = 0; f < ckpt.files_.size(); ++f) {
    const auto& tensors = ckpt.files_[f].tensors();
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& t = tensors[i];
      auto [it, inserted] = ckpt.by_name_.emplace(t.name, std::make_pair(f, i));
      if (!inserted)
        throw make_error(ErrorKind::kInvalidInput, ckpt.files_[f].path().string(),
                         "tensor '" + t.name + "' also appears in " + ckpt.files_[it->second.first].path().string());
    }
  }
  for (const auto& [name, shard] : weight_map) {
    auto it = ckpt.by_name_.find(name);
    if (it == ckpt.by_name_.end() || ckpt.files_[it->second.first].path().filename() != shard)
      throw make_error(ErrorKind::kInvalidInput, index.string(), "maps tensor '" + name + "' to " + shard + ", which does not hold it");
  }
  return ckpt;
}

CheckpointWeights::Entry CheckpointWeights::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return {nullptr, nullptr};
  const SafetensorsFile& file = files_[it->second.first];
  return {&file, &file.tensors()[it->second.second]};
}

std::vector<std::string> CheckpointWeights::names() const {
  std::vector<std::string> out;
  for (const auto& kv : by_name_) out.push_back(kv.first);
  return out;
}

uint64_t CheckpointWeights::total_bytes() const {
  uint64_t n = 0;
  for (const auto& f : files_) n += f.mapping()->size();
  return n;
}

}  // namespace irq
