// Where an export goes: the checks every exporter runs before writing (the
// target must not exist unless forced; the filesystem must have room for the
// estimated size plus a margin), and the model files copied beside weights
// (config.json, tokenizer files). Writing itself goes through AtomicDir or
// write_file_atomic, so a failed export leaves nothing behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace irq {

// Throws Error(kUsage) when `out` exists and !force, Error(kIo) when the
// filesystem holding `out` has less than bytes * 1.05 + 16 MiB available.
void check_export_target(const std::filesystem::path& out, bool force, uint64_t bytes);

// Copies tokenizer.model, tokenizer.json, tokenizer_config.json,
// special_tokens_map.json and generation_config.json when present.
void copy_tokenizer_files(const std::filesystem::path& from, const std::filesystem::path& to);

std::string human_bytes(uint64_t bytes);

}  // namespace irq
