// The runs database: schema migrations and user_version, WAL, every kind of
// record, tags/notes/delete, a concurrent reader and writer, a writer killed
// mid-run (its run becomes 'interrupted' on the next open, nothing is lost),
// liveness by host, boot and pid start time (a reused pid, another host's run,
// a row from before schema 2), and clear errors for a file that is not a database or is too new.
#include "support/test_support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <sqlite3.h>

#include "quant/layer_grid.h"
#include "quant/quant_stats.h"
#include "runs/process_identity.h"
#include "runs/runs_db.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

class TestRunsDb : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path db_path(const char* name) { return fs::path(tmp_.path().toStdString()) / name; }

 private Q_SLOTS:
  void creates_and_migrates() {
    irq::RunsDb db(db_path("a/b/runs.sqlite"));  // folders created
    QCOMPARE(db.schema_version(), irq::RunsDb::latest_schema_version());
    sqlite3* raw = nullptr;
    QCOMPARE(sqlite3_open(db_path("a/b/runs.sqlite").c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &s, nullptr);
    QCOMPARE(sqlite3_step(s), SQLITE_ROW);
    QCOMPARE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))), std::string("wal"));
    sqlite3_finalize(s);
    sqlite3_close(raw);
  }

  void records_every_kind_of_result() {
    irq::RunsDb db(db_path("records.sqlite"));
    const int64_t id = db.start_run("quantize", "/models/x", "fnv64:1", R"({"method":"nf4"})", "cpu");
    QCOMPARE(db.get(id).status, std::string("running"));
    db.add_metrics(id, 0, {{"loss", 2.5}, {"lr", 1e-4}});
    db.add_metrics(id, 1, {{"loss", 2.0}});
    db.add_mmlu(id, {{"anatomy", 3, 10}, {"abstract_algebra", 1, 4}});
    irq::ModelQuantStats qs;
    irq::LayerQuantStats l;
    l.name = "model.layers.0.mlp.up_proj.weight";
    l.numel = 4096;
    l.mean_entropy_plain = 3.6;
    l.mean_entropy = 3.7;
    l.sqnr_db = 20.5;
    l.offset = {0.1f, 0.3f};
    l.finish(1.0, 0.01, 2048);
    const double spread = std::abs(static_cast<double>(0.3f) - static_cast<double>(0.1f)) / std::sqrt(2.0);  // sample std of two
    QVERIFY(std::abs(l.offset_spread - spread) <= 1e-12 * spread);
    l.mean_entropy_plain = 3.6;  // finish() takes the means of the (empty) block vectors
    l.mean_entropy = 3.7;
    qs.layers.push_back(l);
    db.add_quant_layers(id, qs);
    db.add_artifact(id, "quantized-checkpoint", "/out/q");
    db.add_tag(id, "baseline");
    db.add_tag(id, "nf4");
    db.remove_tag(id, "nf4");
    db.set_note(id, "first try, 'quoted' \"text\"; DROP TABLE runs;");
    db.finish_run(id, "finished");
    const auto r = db.get(id);
    QCOMPARE(r.status, std::string("finished"));
    QCOMPARE(r.tags, std::vector<std::string>{"baseline"});
    QCOMPARE(r.notes, std::string("first try, 'quoted' \"text\"; DROP TABLE runs;"));
    QCOMPARE(r.version, std::string(IRQ_VERSION));
    QVERIFY(!r.ended_at.empty());
    QCOMPARE(db.metrics(id).size(), size_t(3));
    QCOMPARE(db.mmlu(id).size(), size_t(2));
    QCOMPARE(db.quant_layers(id).at(0).entropy, 3.7);
    QCOMPARE(db.quant_layers(id).at(0).offset_spread, l.offset_spread);
    QCOMPARE(db.artifacts(id).at(0).second, std::string("/out/q"));
    const int64_t other = db.start_run("eval-mmlu", "/models/x", "", "{}", "cpu");
    db.remove(id);  // cascades
    QCOMPARE(db.list().size(), size_t(1));
    QCOMPARE(db.list()[0].id, other);
    QVERIFY(db.metrics(id).empty());
    QVERIFY(irq::test::throws_error([&] { db.get(id); }, ErrorKind::kNotFound, {"no run " + std::to_string(id)}));
  }

  void reader_and_writer_at_once() {
    const fs::path p = db_path("concurrent.sqlite");
    irq::RunsDb writer(p);
    const int64_t id = writer.start_run("finetune", "/m", "", "{}", "cpu");
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0};
    std::string reader_error;
    std::thread reader([&] {
      try {
        irq::RunsDb db(p);  // its own connection, as the GUI has
        while (!stop) {
          db.list();
          db.metrics(id);
          ++reads;
        }
      } catch (const std::exception& e) {
        reader_error = e.what();
      }
    });
    // Each commit waits for the reader to finish another pass, so the two
    // connections interleave for certain, however the machine schedules them.
    auto wait_for_read = [&](int after) {
      for (int spin = 0; spin < 50000 && reads <= after && reader_error.empty(); ++spin) std::this_thread::sleep_for(std::chrono::microseconds(100));
    };
    wait_for_read(0);
    const int before = reads;
    for (int step = 0; step < 200; ++step) {
      writer.add_metrics(id, step, {{"loss", 1.0 / (step + 1)}});
      if (step % 4 == 0) wait_for_read(reads);
    }
    const int during = reads - before;
    stop = true;
    reader.join();
    QVERIFY2(reader_error.empty(), reader_error.c_str());
    qInfo("reader completed %d passes while the writer committed 200 transactions", during);
    QVERIFY(during > 0);
    QCOMPARE(writer.metrics(id).size(), size_t(200));
  }

  void killed_writer_leaves_an_interrupted_run() {
    const fs::path p = db_path("crash.sqlite");
    { irq::RunsDb init(p); }
    const pid_t child = fork();
    if (child == 0) {  // the writer: records forever until killed
      irq::RunsDb db(p);
      const int64_t id = db.start_run("finetune", "/m", "", "{}", "cpu");
      for (int64_t step = 0;; ++step) {
        db.add_metrics(id, step, {{"loss", 1.0}});
        usleep(2000);
      }
    }
    int64_t seen = 0;
    for (int i = 0; i < 500 && seen < 20; ++i) {
      QTest::qWait(10);
      irq::RunsDb peek(p);
      const auto runs = peek.list();
      seen = runs.empty() ? 0 : static_cast<int64_t>(peek.metrics(runs[0].id).size());
      if (!runs.empty()) QCOMPARE(runs[0].status, std::string("running"));  // alive: not touched
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    irq::RunsDb db(p);
    const auto runs = db.list();
    QCOMPARE(runs.size(), size_t(1));
    QCOMPARE(runs[0].status, std::string("interrupted"));
    QCOMPARE(db.interrupted_on_open(), std::vector<int64_t>{runs[0].id});
    const auto metrics = db.metrics(runs[0].id);
    qInfo("writer killed after %zu committed metric rows", metrics.size());
    QVERIFY(metrics.size() >= 20);
    sqlite3* raw = nullptr;
    sqlite3_open(p.c_str(), &raw);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, nullptr);
    sqlite3_step(s);
    QCOMPARE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))), std::string("ok"));
    sqlite3_finalize(s);
    sqlite3_close(raw);
  }

  // Rewrites the writer identity of run ID with raw SQL (what another
  // process, boot or host would have written).
  static void set_writer(const fs::path& p, int64_t id, const char* assignments) {
    sqlite3* raw = nullptr;
    QCOMPARE(sqlite3_open(p.c_str(), &raw), SQLITE_OK);
    const std::string sql = std::string("UPDATE runs SET ") + assignments + " WHERE id = " + std::to_string(id);
    QCOMPARE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }

  void liveness_is_pid_start_time_boot_and_host() {
    const irq::ProcessIdentity self = irq::current_process();
    QVERIFY(!self.host.empty());
    QVERIFY(self.start_ticks > 0);
    QCOMPARE(irq::process_start_ticks(self.pid), self.start_ticks);
    QVERIFY(irq::liveness(self, self) == irq::Liveness::kAlive);

    const fs::path p = db_path("identity.sqlite");
    int64_t mine = 0, reused = 0, rebooted = 0, foreign = 0, legacy = 0;
    {
      irq::RunsDb db(p);
      for (int64_t* id : {&mine, &reused, &rebooted, &foreign, &legacy}) *id = db.start_run("finetune", "/m", "", "{}", "cpu");
    }
    // Our own pid, but a process that started at another time: the pid was reused.
    set_writer(p, reused, ("pid_start = " + std::to_string(self.start_ticks + 1)).c_str());
    // Same host, another boot: whatever the pid is now, that writer is gone.
    set_writer(p, rebooted, "boot_id = 'another-boot'");
    // Another machine sharing the database: a pid there says nothing here.
    set_writer(p, foreign, "host = 'another-host', pid = 999999999");
    // A row from schema 1 (no identity): the pid alone decides; ours is alive.
    set_writer(p, legacy, "host = NULL, boot_id = NULL, pid_start = NULL");
    irq::RunsDb db(p);
    QCOMPARE(db.get(mine).status, std::string("running"));
    QCOMPARE(db.get(reused).status, std::string("interrupted"));
    QCOMPARE(db.get(rebooted).status, std::string("interrupted"));
    QCOMPARE(db.get(foreign).status, std::string("running"));
    QCOMPARE(db.get(legacy).status, std::string("running"));
    QCOMPARE(db.interrupted_on_open(), (std::vector<int64_t>{reused, rebooted}));
  }

  void schema_1_database_is_migrated_in_place() {
    const fs::path p = db_path("v1.sqlite");
    sqlite3* raw = nullptr;
    QCOMPARE(sqlite3_open(p.c_str(), &raw), SQLITE_OK);
    // Schema 1 exactly as released, with one finished run in it.
    const char* v1 =
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, status TEXT NOT NULL,"
        " model_path TEXT, model_hash TEXT, config_json TEXT, version TEXT, device TEXT, started_at TEXT NOT NULL,"
        " ended_at TEXT, error TEXT, notes TEXT NOT NULL DEFAULT '', pid INTEGER);"
        "CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,"
        " name TEXT NOT NULL, value REAL NOT NULL);"
        "CREATE INDEX metrics_run ON metrics(run_id, name, step);"
        "CREATE TABLE mmlu_subjects (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, subject TEXT NOT NULL,"
        " correct INTEGER NOT NULL, total INTEGER NOT NULL, PRIMARY KEY (run_id, subject));"
        "CREATE TABLE quant_layers (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL,"
        " numel INTEGER NOT NULL, entropy_plain REAL, entropy REAL, mse REAL, sqnr_db REAL, bits_per_weight REAL,"
        " PRIMARY KEY (run_id, name));"
        "CREATE TABLE artifacts (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, kind TEXT NOT NULL,"
        " path TEXT NOT NULL, created_at TEXT NOT NULL);"
        "CREATE TABLE tags (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, tag TEXT NOT NULL,"
        " PRIMARY KEY (run_id, tag));"
        "INSERT INTO runs (kind, status, started_at, notes, pid) VALUES ('quantize', 'finished', 'then', 'kept', 1);"
        "INSERT INTO metrics VALUES (1, 0, 'loss', 2.5);"
        "PRAGMA user_version=1;";
    QCOMPARE(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    irq::RunsDb db(p);
    QCOMPARE(db.schema_version(), irq::RunsDb::latest_schema_version());
    QCOMPARE(db.get(1).notes, std::string("kept"));
    QCOMPARE(db.metrics(1).size(), size_t(1));
    const int64_t id = db.start_run("eval-ppl", "/m", "", "{}", "cpu");
    QCOMPARE(db.get(id).status, std::string("running"));
    // A layer recorded before schema 3 has no offset spread: NaN, not 0.
    raw = nullptr;
    QCOMPARE(sqlite3_open(p.c_str(), &raw), SQLITE_OK);
    QCOMPARE(sqlite3_exec(raw, "INSERT INTO quant_layers (run_id, name, numel, entropy) VALUES (1, 'w', 1, 2.0)", nullptr, nullptr, nullptr),
             SQLITE_OK);
    sqlite3_close(raw);
    QVERIFY(std::isnan(db.quant_layers(1).at(0).offset_spread));
  }

  // The heatmap's grid: layer and projection from the weight name, NaN where
  // a projection was not quantized, other names ignored.
  void layer_grid_places_each_weight() {
    std::vector<irq::LayerFigures> rows = {
        {"model.layers.1.mlp.down_proj.weight", 3.0, 3.5, 1e-4, 20, 4.5, 0.01},
        {"model.layers.0.self_attn.q_proj.weight", 3.2, 3.3, 2e-4, 18, 4.5, 0.02},
        {"model.layers.1.self_attn.q_proj.weight", 3.1, 3.0, 3e-4, 17, 4.5, 0.03},
        {"lm_head.weight", 1, 2, 3, 4, 5, 6}};
    const auto g = irq::layer_grid(rows, irq::LayerStatistic::kEntropyGain);
    QCOMPARE(g.layers, int64_t{2});
    QCOMPARE(g.projections, (std::vector<std::string>{"q_proj", "down_proj"}));
    QCOMPARE(g.at(1, 1), 0.5);
    QVERIFY(std::abs(g.at(1, 0) - (-0.1)) < 1e-12);
    QVERIFY(std::isnan(g.at(0, 1)));
    QCOMPARE(g.name(0, 0), std::string("model.layers.0.self_attn.q_proj.weight"));
    QVERIFY(g.name(0, 1).empty());
    QCOMPARE(irq::layer_grid(rows, irq::LayerStatistic::kOffsetSpread).at(0, 0), 0.02);
  }

  void bad_files_are_named() {
    const fs::path junk = db_path("junk.sqlite");
    irq::test::write_file(junk, std::string(4096, 'x'));
    QVERIFY(irq::test::throws_error([&] { irq::RunsDb db(junk); }, ErrorKind::kInvalidInput, {junk.string(), "not a runs database"}));
    QCOMPARE(irq::test::read_file(junk), std::string(4096, 'x'));  // untouched
    const fs::path future = db_path("future.sqlite");
    { irq::RunsDb db(future); }
    sqlite3* raw = nullptr;
    sqlite3_open(future.c_str(), &raw);
    sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    QVERIFY(irq::test::throws_error([&] { irq::RunsDb db(future); }, ErrorKind::kUnsupported, {"newer irqlora"}));
  }
};

IRQ_TEST_CASE(TestRunsDb, "test_runs_db")
#include "test_runs_db.moc"
