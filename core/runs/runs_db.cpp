// SQLite runs database (see runs_db.h).
#include "runs/runs_db.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>

#include "common/error.h"
#include "quant/quant_stats.h"
#include "runs/process_identity.h"

namespace irq {

namespace fs = std::filesystem;

namespace {

// Append-only: a released migration is never edited; add a new one.
const char* const kMigrations[] = {
    // 1: the initial schema
    R"sql(
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL, status TEXT NOT NULL,
      model_path TEXT, model_hash TEXT, config_json TEXT, version TEXT, device TEXT,
      started_at TEXT NOT NULL, ended_at TEXT, error TEXT, notes TEXT NOT NULL DEFAULT '', pid INTEGER);
    CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      step INTEGER NOT NULL, name TEXT NOT NULL, value REAL NOT NULL);
    CREATE INDEX metrics_run ON metrics(run_id, name, step);
    CREATE TABLE mmlu_subjects (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      subject TEXT NOT NULL, correct INTEGER NOT NULL, total INTEGER NOT NULL, PRIMARY KEY (run_id, subject));
    CREATE TABLE quant_layers (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      name TEXT NOT NULL, numel INTEGER NOT NULL, entropy_plain REAL, entropy REAL, mse REAL, sqnr_db REAL,
      bits_per_weight REAL, PRIMARY KEY (run_id, name));
    CREATE TABLE artifacts (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      kind TEXT NOT NULL, path TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE tags (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      tag TEXT NOT NULL, PRIMARY KEY (run_id, tag));
    )sql",
    // 2: who runs a run (process_identity.h): a pid alone is reused, and a
    // shared database holds pids of other hosts
    R"sql(
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN boot_id TEXT;
    ALTER TABLE runs ADD COLUMN pid_start INTEGER;
    )sql",
    // 3: the spread of ICQ's offsets over a layer's blocks (the model heatmap)
    R"sql(
    ALTER TABLE quant_layers ADD COLUMN offset_spread REAL;
    )sql",
};
constexpr int kVersions = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

std::string now_utc() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A prepared statement with bound parameters (RAII).
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql, const fs::path& file) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& bind(int i, int64_t v) { return ok(sqlite3_bind_int64(s_, i, v)); }
  Stmt& bind(int i, double v) { return ok(sqlite3_bind_double(s_, i, v)); }
  Stmt& bind(int i, const std::string& v) { return ok(sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT)); }
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  double f64(int c) const { return sqlite3_column_double(s_, c); }
  double f64_or_nan(int c) const {
    return sqlite3_column_type(s_, c) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN() : f64(c);
  }
  std::string str(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  Stmt& ok(int rc) {
    if (rc != SQLITE_OK) fail("bind");
    return *this;
  }
  [[noreturn]] void fail(const char* what) const {
    throw make_error(ErrorKind::kIo, file_.string(), std::string("database ") + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  fs::path file_;
};

void exec(sqlite3* db, const char* sql, const fs::path& file) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw make_error(ErrorKind::kIo, file.string(), "database: " + msg);
  }
}

// BEGIN IMMEDIATE ... COMMIT, rolled back if the body throws.
void transaction(sqlite3* db, const fs::path& file, const std::function<void()>& body) {
  exec(db, "BEGIN IMMEDIATE", file);
  try {
    body();
    exec(db, "COMMIT", file);
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace

fs::path RunsDb::default_path() {
  if (const char* p = std::getenv("IRQ_RUNS_DB"); p && *p) return p;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "irqlora" / "runs.sqlite";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local" / "share" / "irqlora" / "runs.sqlite";
  return fs::temp_directory_path() / "irqlora-runs.sqlite";
}

int RunsDb::latest_schema_version() { return kVersions; }

RunsDb::RunsDb(const fs::path& path) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw make_error(ErrorKind::kIo, path.string(), "cannot open the runs database: " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    char* err = nullptr;
    if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "";
      sqlite3_free(err);
      throw make_error(ErrorKind::kInvalidInput, path.string(), "not a runs database (" + msg + ")");
    }
    exec(db_, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", path);
    migrate();
    mark_dead_runs();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

RunsDb::~RunsDb() { sqlite3_close(db_); }

int RunsDb::schema_version() const {
  Stmt s(db_, "PRAGMA user_version", path_);
  return s.step() ? static_cast<int>(s.i64(0)) : 0;
}

void RunsDb::migrate() {
  transaction(db_, path_, [&] {
    const int v = schema_version();
    if (v > kVersions)
      throw make_error(ErrorKind::kUnsupported, path_.string(),
                       "schema version " + std::to_string(v) + " was written by a newer irqlora (this one knows " +
                           std::to_string(kVersions) + "); nothing was changed");
    for (int i = v; i < kVersions; ++i) {
      exec(db_, kMigrations[i], path_);
      exec(db_, ("PRAGMA user_version=" + std::to_string(i + 1)).c_str(), path_);
    }
  });
}

void RunsDb::mark_dead_runs() {
  std::vector<int64_t> dead;
  {
    const ProcessIdentity self = current_process();
    Stmt s(db_, "SELECT id, pid, host, boot_id, pid_start FROM runs WHERE status = 'running'", path_);
    while (s.step()) {
      const ProcessIdentity writer{s.str(2), s.str(3), s.i64(1), s.i64(4)};
      if (liveness(writer, self) == Liveness::kDead) dead.push_back(s.i64(0));  // kUnknown: another host's run, left alone
    }
  }
  if (dead.empty()) return;
  transaction(db_, path_, [&] {
    for (int64_t id : dead)
      Stmt(db_, "UPDATE runs SET status = 'interrupted', ended_at = ?1 WHERE id = ?2 AND status = 'running'", path_)
          .bind(1, now_utc())
          .bind(2, id)
          .run();
  });
  interrupted_ = dead;
}

int64_t RunsDb::start_run(const std::string& kind, const std::string& model_path, const std::string& model_hash,
                          const std::string& config_json, const std::string& device) {
  int64_t id = 0;
  const ProcessIdentity self = current_process();
  transaction(db_, path_, [&] {
    Stmt(db_,
         "INSERT INTO runs (kind, status, model_path, model_hash, config_json, version, device, started_at, pid, host, "
         "boot_id, pid_start) VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
         path_)
        .bind(1, kind)
        .bind(2, model_path)
        .bind(3, model_hash)
        .bind(4, config_json)
        .bind(5, std::string(IRQ_VERSION))
        .bind(6, device)
        .bind(7, now_utc())
        .bind(8, self.pid)
        .bind(9, self.host)
        .bind(10, self.boot)
        .bind(11, self.start_ticks)
        .run();
    id = sqlite3_last_insert_rowid(db_);
  });
  return id;
}

void RunsDb::finish_run(int64_t id, const std::string& status, const std::string& error) {
  transaction(db_, path_, [&] {
    Stmt(db_, "UPDATE runs SET status = ?1, error = ?2, ended_at = ?3 WHERE id = ?4", path_)
        .bind(1, status)
        .bind(2, error)
        .bind(3, now_utc())
        .bind(4, id)
        .run();
  });
}

void RunsDb::add_metrics(int64_t id, int64_t step, const std::map<std::string, double>& values) {
  transaction(db_, path_, [&] {
    for (const auto& [name, v] : values)
      Stmt(db_, "INSERT INTO metrics (run_id, step, name, value) VALUES (?1, ?2, ?3, ?4)", path_)
          .bind(1, id).bind(2, step).bind(3, name).bind(4, v).run();
  });
}

void RunsDb::add_mmlu(int64_t id, const std::vector<SubjectScore>& subjects) {
  transaction(db_, path_, [&] {
    for (const auto& s : subjects)
      Stmt(db_, "INSERT OR REPLACE INTO mmlu_subjects (run_id, subject, correct, total) VALUES (?1, ?2, ?3, ?4)", path_)
          .bind(1, id)
          .bind(2, s.subject)
          .bind(3, s.correct)
          .bind(4, s.total)
          .run();
  });
}

LayerRow layer_row(const LayerQuantStats& l) {
  return {l.name, l.numel, l.mean_entropy_plain, l.mean_entropy, l.mse_total, l.sqnr_db, l.bits_per_weight, l.offset_spread};
}

void RunsDb::add_quant_layers(int64_t id, const ModelQuantStats& stats) {
  std::vector<LayerRow> rows;
  for (const auto& l : stats.layers) rows.push_back(layer_row(l));
  add_quant_layers(id, rows);
}

void RunsDb::add_quant_layers(int64_t id, const std::vector<LayerRow>& rows) {
  transaction(db_, path_, [&] {
    for (const auto& l : rows)
      Stmt(db_,
           "INSERT OR REPLACE INTO quant_layers (run_id, name, numel, entropy_plain, entropy, mse, sqnr_db, bits_per_weight, "
           "offset_spread) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
           path_)
          .bind(1, id)
          .bind(2, l.name)
          .bind(3, l.numel)
          .bind(4, l.entropy_plain)
          .bind(5, l.entropy)
          .bind(6, l.mse)
          .bind(7, l.sqnr_db)
          .bind(8, l.bits_per_weight)
          .bind(9, l.offset_spread)
          .run();
  });
}

void RunsDb::add_artifact(int64_t id, const std::string& kind, const std::string& path) {
  transaction(db_, path_, [&] {
    Stmt(db_, "INSERT INTO artifacts (run_id, kind, path, created_at) VALUES (?1, ?2, ?3, ?4)", path_)
        .bind(1, id)
        .bind(2, kind)
        .bind(3, path)
        .bind(4, now_utc())
        .run();
  });
}

void RunsDb::add_tag(int64_t id, const std::string& tag) {
  get(id);
  transaction(db_, path_, [&] {
    Stmt(db_, "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?1, ?2)", path_).bind(1, id).bind(2, tag).run();
  });
}

void RunsDb::remove_tag(int64_t id, const std::string& tag) {
  transaction(db_, path_, [&] { Stmt(db_, "DELETE FROM tags WHERE run_id = ?1 AND tag = ?2", path_).bind(1, id).bind(2, tag).run(); });
}

void RunsDb::set_note(int64_t id, const std::string& text) {
  get(id);
  transaction(db_, path_, [&] { Stmt(db_, "UPDATE runs SET notes = ?1 WHERE id = ?2", path_).bind(1, text).bind(2, id).run(); });
}

void RunsDb::remove(int64_t id) {
  get(id);
  transaction(db_, path_, [&] { Stmt(db_, "DELETE FROM runs WHERE id = ?1", path_).bind(1, id).run(); });
}

namespace {
RunRecord read_run(const Stmt& s) {
  RunRecord r;
  r.id = s.i64(0);
  r.kind = s.str(1);
  r.status = s.str(2);
  r.model_path = s.str(3);
  r.model_hash = s.str(4);
  r.config_json = s.str(5);
  r.version = s.str(6);
  r.device = s.str(7);
  r.started_at = s.str(8);
  r.ended_at = s.str(9);
  r.error = s.str(10);
  r.notes = s.str(11);
  r.pid = s.i64(12);
  return r;
}
const char* kRunColumns =
    "SELECT id, kind, status, model_path, model_hash, config_json, version, device, started_at, ended_at, error, notes, pid "
    "FROM runs";
}  // namespace

std::vector<RunRecord> RunsDb::list() const {
  std::vector<RunRecord> out;
  Stmt s(db_, (std::string(kRunColumns) + " ORDER BY id").c_str(), path_);
  while (s.step()) out.push_back(read_run(s));
  Stmt t(db_, "SELECT run_id, tag FROM tags ORDER BY tag", path_);
  while (t.step())
    for (auto& r : out)
      if (r.id == t.i64(0)) r.tags.push_back(t.str(1));
  return out;
}

RunRecord RunsDb::get(int64_t id) const {
  Stmt s(db_, (std::string(kRunColumns) + " WHERE id = ?1").c_str(), path_);
  s.bind(1, id);
  if (!s.step()) throw make_error(ErrorKind::kNotFound, path_.string(), "no run " + std::to_string(id));
  RunRecord r = read_run(s);
  Stmt t(db_, "SELECT tag FROM tags WHERE run_id = ?1 ORDER BY tag", path_);
  t.bind(1, id);
  while (t.step()) r.tags.push_back(t.str(0));
  return r;
}

std::vector<MetricPoint> RunsDb::metrics(int64_t id) const {
  std::vector<MetricPoint> out;
  Stmt s(db_, "SELECT step, name, value FROM metrics WHERE run_id = ?1 ORDER BY name, step", path_);
  s.bind(1, id);
  while (s.step()) out.push_back({s.i64(0), s.str(1), s.f64(2)});
  return out;
}

std::vector<SubjectScore> RunsDb::mmlu(int64_t id) const {
  std::vector<SubjectScore> out;
  Stmt s(db_, "SELECT subject, correct, total FROM mmlu_subjects WHERE run_id = ?1 ORDER BY subject", path_);
  s.bind(1, id);
  while (s.step()) out.push_back({s.str(0), s.i64(1), s.i64(2)});
  return out;
}

std::vector<LayerRow> RunsDb::quant_layers(int64_t id) const {
  std::vector<LayerRow> out;
  Stmt s(db_,
         "SELECT name, numel, entropy_plain, entropy, mse, sqnr_db, bits_per_weight, offset_spread FROM quant_layers "
         "WHERE run_id = ?1 ORDER BY rowid",
         path_);
  s.bind(1, id);
  while (s.step()) out.push_back({s.str(0), s.i64(1), s.f64(2), s.f64(3), s.f64(4), s.f64(5), s.f64(6), s.f64_or_nan(7)});
  return out;
}

std::vector<std::pair<std::string, std::string>> RunsDb::artifacts(int64_t id) const {
  std::vector<std::pair<std::string, std::string>> out;
  Stmt s(db_, "SELECT kind, path FROM artifacts WHERE run_id = ?1 ORDER BY rowid", path_);
  s.bind(1, id);
  while (s.step()) out.emplace_back(s.str(0), s.str(1));
  return out;
}

std::string model_fingerprint(const fs::path& dir) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto feed = [&](const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<uint8_t>(p[i])) * 0x100000001b3ull;
  };
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() == "config.json" || e.path().extension() == ".safetensors") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<char> buf(1 << 20);
  for (const auto& f : files) {
    const uint64_t size = fs::file_size(f);
    feed(f.filename().c_str(), f.filename().string().size());
    feed(reinterpret_cast<const char*>(&size), sizeof size);
    std::ifstream in(f, std::ios::binary);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    feed(buf.data(), static_cast<size_t>(in.gcount()));
    if (size > buf.size()) {
      in.clear();
      in.seekg(static_cast<std::streamoff>(size - buf.size()));
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      feed(buf.data(), static_cast<size_t>(in.gcount()));
    }
  }
  char out[32];
  std::snprintf(out, sizeof out, "fnv64:%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace irq
