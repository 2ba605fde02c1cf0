// A whole text file read with the checks every reader needs: missing ->
// Error(kNotFound), a directory or other non-file, an unreadable or
// over-limit file -> Error(kInvalidInput), each naming the path (no
// basic_filebuf exception, no silently empty read of a directory).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace irq {

std::string read_text_file(const std::filesystem::path& path, size_t max_bytes, const std::string& what);

}  // namespace irq
