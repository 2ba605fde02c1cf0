// Export target checks and file copies.
#include "export/export_target.h"

#include <cstdio>

#include "common/error.h"

namespace fs = std::filesystem;

namespace irq {

std::string human_bytes(uint64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  return buf;
}

void check_export_target(const fs::path& out, bool force, uint64_t bytes) {
  std::error_code ec;
  if (fs::exists(out, ec) && !force) throw make_error(ErrorKind::kUsage, out.string(), "exists; pass --force to overwrite");
  fs::path parent = fs::absolute(out, ec).parent_path();
  while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.root_path()) parent = parent.parent_path();
  const auto space = fs::space(parent, ec);
  if (ec) throw make_error(ErrorKind::kIo, parent.string(), "cannot query free space: " + ec.message());
  const uint64_t need = bytes + bytes / 20 + (16u << 20);
  if (space.available < need)
    throw make_error(ErrorKind::kIo, out.string(),
                     "needs about " + human_bytes(need) + " but " + parent.string() + " has " + human_bytes(space.available) + " free");
}

void copy_tokenizer_files(const fs::path& from, const fs::path& to) {
  for (const char* name : {"tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "generation_config.json"}) {
    std::error_code ec;
    if (!fs::exists(from / name, ec)) continue;
    fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw make_error(ErrorKind::kIo, (to / name).string(), "cannot copy from " + from.string() + ": " + ec.message());
    fs::permissions(to / name, fs::perms::owner_write, fs::perm_options::add, ec);  // sources may be read-only
  }
}

}  // namespace irq
