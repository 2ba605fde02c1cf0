// Offline lookup in the Hugging Face hub cache.
#include "io/hub_cache.h"

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "common/error.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

bool looks_like_repo_id(const std::string& s) {
  const size_t slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= s.size() || s.find('/', slash + 1) != std::string::npos) return false;
  if (s[0] == '.' || s[slash + 1] == '.') return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  return s.find("..") == std::string::npos;
}

bool valid_revision(const std::string& r) {
  if (r.empty() || r.find("..") != std::string::npos || r[0] == '/') return false;
  for (char c : r)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  return true;
}

}  // namespace

std::vector<fs::path> hub_cache_dirs() {
  std::vector<fs::path> dirs;
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) dirs.emplace_back(c);
  if (const char* h = std::getenv("HF_HOME"); h && *h) dirs.push_back(fs::path(h) / "hub");
  if (const char* home = std::getenv("HOME"); home && *home) dirs.push_back(fs::path(home) / ".cache" / "huggingface" / "hub");
  return dirs;
}

fs::path resolve_model_dir(const std::string& spec, const std::string& revision) {
  std::error_code ec;
  if (fs::exists(spec, ec) || !looks_like_repo_id(spec)) {
    if (!revision.empty()) throw make_error(ErrorKind::kUsage, "--revision " + revision, "applies to a Hugging Face repo id, not to the folder " + spec);
    return spec;
  }
  const std::string rev = revision.empty() ? "main" : revision;
  if (!valid_revision(rev)) throw make_error(ErrorKind::kUsage, "--revision " + rev, "is not a branch, tag or commit name");
  std::string folder = "models--" + spec;
  folder.replace(folder.find('/'), 1, "--");
  std::string looked;
  for (const auto& cache : hub_cache_dirs()) {
    const fs::path repo = cache / folder;
    looked += (looked.empty() ? "" : ", ") + repo.string();
    if (!fs::is_directory(repo, ec)) continue;
    std::string commit = rev;
    if (std::ifstream ref(repo / "refs" / rev); ref) std::getline(ref, commit);
    const fs::path snapshot = repo / "snapshots" / commit;
    if (!commit.empty() && fs::is_directory(snapshot, ec)) return snapshot;
    throw make_error(ErrorKind::kNotFound, repo.string(),
                     "revision '" + rev + "' is not in this cache (no refs/" + rev + " and no snapshots/" + rev + "); no network access is attempted");
  }
  throw make_error(ErrorKind::kNotFound, spec,
                   "is neither a folder nor a model in the Hugging Face cache (looked in " + (looked.empty() ? std::string("no cache: HOME unset") : looked) +
                       "); no network access is attempted");
}

}  // namespace irq
