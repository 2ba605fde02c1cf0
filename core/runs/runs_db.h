// The local runs database (SQLite): every quantize, finetune and eval run
// with its model (path and content fingerprint), full config JSON, version,
// device, times and status, metrics over steps, MMLU results per subject,
// quantization stats per layer, artifacts, tags and notes.
//   - schema by append-only migrations keyed by PRAGMA user_version;
//   - WAL mode and a busy timeout: a GUI reader and a job writer work at once;
//   - every write in a transaction, bound parameters only;
//   - a run left 'running' by a process that no longer exists (same host, and
//     pid plus start time no longer match: process_identity.h) is marked
//     'interrupted' when the database is next opened; another host's runs are
//     left as they are; nothing else changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

struct sqlite3;

namespace irq {

struct LayerQuantStats;
struct ModelQuantStats;

struct RunRecord {
  int64_t id = 0;
  std::string kind;    // quantize | finetune | eval-mmlu | eval-ppl | eval-tasks | export
  std::string status;  // running | finished | failed | cancelled | interrupted
  std::string model_path, model_hash, config_json, version, device;
  std::string started_at, ended_at, error, notes;
  int64_t pid = 0;
  std::vector<std::string> tags;
};

struct MetricPoint {
  int64_t step;
  std::string name;
  double value;
};

struct SubjectScore {
  std::string subject;
  int64_t correct, total;
};

struct LayerRow {
  std::string name;
  int64_t numel;
  double entropy_plain, entropy, mse, sqnr_db, bits_per_weight;
  double offset_spread;  // NaN for runs recorded before schema 3
};

// A layer's row as recorded (from the whole statistics of a quantize pass).
LayerRow layer_row(const LayerQuantStats& l);

class RunsDb {
 public:
  // $IRQ_RUNS_DB, else $XDG_DATA_HOME/irqlora/runs.sqlite, else ~/.local/share/irqlora/runs.sqlite.
  static std::filesystem::path default_path();
  // Opens (creating the file and folders), migrates, marks dead runs interrupted.
  // Throws Error naming the file when it is not a database or is newer than this build.
  explicit RunsDb(const std::filesystem::path& path);
  ~RunsDb();
  RunsDb(const RunsDb&) = delete;
  RunsDb& operator=(const RunsDb&) = delete;

  static int latest_schema_version();
  int schema_version() const;
  const std::filesystem::path& path() const { return path_; }

  int64_t start_run(const std::string& kind, const std::string& model_path, const std::string& model_hash,
                    const std::string& config_json, const std::string& device);
  void finish_run(int64_t id, const std::string& status, const std::string& error = "");
  void add_metrics(int64_t id, int64_t step, const std::map<std::string, double>& values);
  void add_mmlu(int64_t id, const std::vector<SubjectScore>& subjects);
  void add_quant_layers(int64_t id, const ModelQuantStats& stats);
  void add_quant_layers(int64_t id, const std::vector<LayerRow>& rows);  // a remote run's, from its events
  void add_artifact(int64_t id, const std::string& kind, const std::string& path);
  void add_tag(int64_t id, const std::string& tag);
  void remove_tag(int64_t id, const std::string& tag);
  void set_note(int64_t id, const std::string& text);
  void remove(int64_t id);  // the run and everything recorded with it

  std::vector<RunRecord> list() const;
  RunRecord get(int64_t id) const;  // throws Error(kNotFound)
  std::vector<MetricPoint> metrics(int64_t id) const;
  std::vector<SubjectScore> mmlu(int64_t id) const;
  std::vector<LayerRow> quant_layers(int64_t id) const;
  std::vector<std::pair<std::string, std::string>> artifacts(int64_t id) const;  // kind, path
  std::vector<int64_t> interrupted_on_open() const { return interrupted_; }

 private:
  void migrate();
  void mark_dead_runs();
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::vector<int64_t> interrupted_;
};

// A fast content fingerprint of a model directory: FNV-1a 64 over
// config.json, each safetensors file's size, header and first/last 1 MiB.
std::string model_fingerprint(const std::filesystem::path& dir);

}  // namespace irq
