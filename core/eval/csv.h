// RFC 4180 CSV reading (the MMLU files: no header, comma separated, fields
// optionally double-quoted, "" inside quotes is a quote, commas and newlines
// inside quotes belong to the field; CRLF or LF line ends).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace irq {

using CsvRow = std::vector<std::string>;

// Throws Error(kInvalidInput) naming `source` and the line of an unterminated quote.
std::vector<CsvRow> parse_csv(const std::string& text, const std::string& source);
std::vector<CsvRow> read_csv(const std::filesystem::path& path);

}  // namespace irq
