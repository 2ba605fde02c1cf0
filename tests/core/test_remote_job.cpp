// Remote jobs (jobs/remote_job.h): the local CLI as a fake remote (its
// --progress jsonl stream drives progress, metrics, artifacts and the local
// record), a remote CLI's error, a launcher that fails before the CLI runs
// (as ssh does), cancellation, and the same over a loopback sshd started by
// the test where openssh-server is installed (skipped otherwise).
#include "support/test_support.h"
#include "support/free_port.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "jobs/finetune_job.h"
#include "jobs/mmlu_job.h"
#include "jobs/quant_job.h"
#include "jobs/remote_job.h"
#include "runs/runs_db.h"

using irq::ErrorKind;
namespace fs = std::filesystem;

namespace {

struct Progress : irq::ProgressSink {
  std::vector<std::tuple<std::string, int64_t, int64_t>> seen;
  std::function<void(const std::string&)> on_stage;
  void progress(const std::string& stage, int64_t done, int64_t total) override {
    seen.emplace_back(stage, done, total);
    if (on_stage) on_stage(stage);
  }
  bool saw(const std::string& stage, int64_t done, int64_t total) const {
    for (const auto& [s, d, t] : seen)
      if (s == stage && d == done && t == total) return true;
    return false;
  }
};

fs::path tiny_dir() { return irq::test::fixtures() / "tiny_llama"; }

irq::RemoteRequest local_cli(const std::string& verb, std::vector<std::string> args, const fs::path& db) {
  irq::RemoteRequest r;
  r.program = IRQ_CLI;
  r.verb = verb;
  r.args = std::move(args);
  r.model_dir = tiny_dir().string();
  r.db_path = db;
  return r;
}

bool has_artifact(const std::vector<std::pair<std::string, std::string>>& a, const std::string& kind, const std::string& prefix) {
  for (const auto& [k, p] : a)
    if (k == kind && p.rfind(prefix, 0) == 0) return true;
  return false;
}

using irq::test::free_port;

bool accepts(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// The first run's status once it is no longer "running" (a database opened
// after its process died marks it interrupted), or "running" after `limit`.
std::string status_within(const fs::path& db, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const std::string s = irq::RunsDb(db).list().front().status;
    if (s != "running" || std::chrono::steady_clock::now() > end) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int exit_status(const std::vector<std::string>& argv) {  // of a program run to its end, output dropped
  irq::ChildProcess p(argv);
  while (p.read_lines(100, [](int, const std::string&) {})) {
  }
  return p.wait();
}

// Questions over all subjects.
int64_t grouped_total(const std::vector<irq::SubjectScore>& subjects) {
  int64_t n = 0;
  for (const auto& s : subjects) n += s.total;
  return n;
}

}  // namespace

class TestRemoteJob : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

 private Q_SLOTS:
  void command_line() {
    irq::RemoteRequest r;
    r.launcher = {"ssh", "-o", "BatchMode=yes", "gpu1"};
    r.verb = "eval mmlu";
    r.args = {"/m", "--data", "/d/it's $HOME"};
    const std::vector<std::string> want = {"ssh", "-o", "BatchMode=yes", "gpu1",
                                           "'irqlora' 'eval' 'mmlu' '/m' '--data' '/d/it'\\''s $HOME' '--progress' 'jsonl'"};
    QCOMPARE(irq::remote_command(r), want);
    r.launcher.clear();  // this machine: no shell in between
    const std::vector<std::string> local = {"irqlora", "eval", "mmlu", "/m", "--data", "/d/it's $HOME", "--progress", "jsonl"};
    QCOMPARE(irq::remote_command(r), local);
  }

  void quantize_through_the_cli() {
    const fs::path db = tmp() / "local.sqlite";
    Progress progress;
    const auto out = irq::run_remote(
        local_cli("quantize", {tiny_dir().string(), "--method", "int4", "--device", "cpu", "--no-record"}, db), &progress);
    QCOMPARE(out.exit_code, 0);
    QVERIFY(progress.saw("quantize", 14, 14));  // the 14 projections of the tiny model, last event
    irq::RunsDb runs(db);
    const auto rec = runs.get(out.run_id);
    QCOMPARE(QString::fromStdString(rec.status), QString("finished"));
    QCOMPARE(QString::fromStdString(rec.device), QString("remote:localhost"));
    QCOMPARE(QString::fromStdString(rec.kind), QString("quantize"));
    QCOMPARE(out.remote_run_id, int64_t{-1});  // --no-record there
  }

  // The workbench's Quantize tab on a host: the request as CLI arguments
  // (the same setting recorded there), each layer's figures streamed back
  // and recorded here exactly as the host recorded them.
  void quantize_layers_come_back() {
    const fs::path db = tmp() / "layers.sqlite", remote_db = tmp() / "layers-remote.sqlite";
    irq::QuantizeRequest q;
    q.model_dir = tiny_dir();
    q.settings = irq::QuantSettings::for_method("int4");
    q.settings.block_size = 32;
    q.settings.lambda = 0.2;
    q.settings.n = 20;
    auto args = irq::quantize_cli_args(q);
    args.insert(args.end(), {"--device", "cpu", "--db", remote_db.string()});
    const auto out = irq::run_remote(local_cli("quantize", args, db));
    QCOMPARE(out.exit_code, 0);
    QCOMPARE(static_cast<int>(out.layers.size()), 14);
    irq::RunsDb here(db), there(remote_db);
    const auto mine = here.quant_layers(out.run_id), theirs = there.quant_layers(out.remote_run_id);
    QCOMPARE(mine.size(), theirs.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      QCOMPARE(QString::fromStdString(mine[i].name), QString::fromStdString(theirs[i].name));
      QCOMPARE(mine[i].numel, theirs[i].numel);
      QCOMPARE(mine[i].entropy, theirs[i].entropy);  // exact: JSON carries doubles round-trip
      QCOMPARE(mine[i].entropy_plain, theirs[i].entropy_plain);
      QCOMPARE(mine[i].mse, theirs[i].mse);
      QCOMPARE(mine[i].sqnr_db, theirs[i].sqnr_db);
      QCOMPARE(mine[i].bits_per_weight, theirs[i].bits_per_weight);
      QCOMPARE(mine[i].offset_spread, theirs[i].offset_spread);
    }
    const auto config = nlohmann::json::parse(there.get(out.remote_run_id).config_json);
    QCOMPARE(QString::fromStdString(irq::QuantSettings::from_json(config, "remote config").to_json().dump()),
             QString::fromStdString(q.settings.to_json().dump()));
    // the model figures recomputed from the rows are the host's
    const auto stats = irq::stats_from_rows(out.layers, q.settings, out.last_metrics.at("weights_per_second"));
    QVERIFY(std::abs(stats.mean_entropy - out.last_metrics.at("mean_entropy")) < 1e-12);
    QVERIFY(std::abs(stats.sqnr_db - out.last_metrics.at("sqnr_db")) < 1e-9);
    QVERIFY(std::abs(stats.bits_per_weight - out.last_metrics.at("bits_per_weight")) < 1e-12);

    // The fields the CLI and the job now share travel too: targets, the
    // checkpoint and the statistics file; the local job writes the same.
    q.targets = {"q_proj", "v_proj"};
    q.out_dir = tmp() / "q-remote";
    q.stats_json = tmp() / "q-remote-stats.json";
    q.block_stats = false;
    q.device = "cpu";
    auto args2 = irq::quantize_cli_args(q);
    args2.insert(args2.end(), {"--db", remote_db.string()});
    const auto out2 = irq::run_remote(local_cli("quantize", args2, db));
    QCOMPARE(static_cast<int>(out2.layers.size()), 4);  // 2 layers x q, v
    QVERIFY(fs::exists(q.out_dir / "irqlora_quant.json"));
    const auto config2 = nlohmann::json::parse(there.get(out2.remote_run_id).config_json);
    QCOMPARE(config2.at("targets").get<std::string>(), std::string("q_proj,v_proj"));
    QCOMPARE(config2.at("front_end").get<std::string>(), std::string("cli"));
    QCOMPARE(config2.at("quant").at("method").get<std::string>(), std::string("int4"));  // both layouts
    const auto remote_stats = nlohmann::json::parse(irq::test::read_file(q.stats_json));
    q.out_dir = tmp() / "q-local";
    q.stats_json = tmp() / "q-local-stats.json";
    const auto local = irq::run_quantize(q);
    QCOMPARE(static_cast<int>(local.stats.layers.size()), 4);
    QVERIFY(fs::exists(q.out_dir / "irqlora_quant.json"));
    const auto local_stats = nlohmann::json::parse(irq::test::read_file(q.stats_json));
    QCOMPARE(local_stats.at("layers").size(), remote_stats.at("layers").size());
    QCOMPARE(local_stats.at("mean_entropy").get<double>(), remote_stats.at("mean_entropy").get<double>());
  }

  // MMLU on a host: each subject's score streamed back, recorded here as
  // the host recorded it, and grouped into the categories a local run gives.
  void mmlu_subjects_come_back() {
    const fs::path db = tmp() / "mmlu.sqlite", remote_db = tmp() / "mmlu-remote.sqlite";
    irq::MmluRequest r;
    r.model.model_dir = tiny_dir();
    r.model.device = "cpu";
    r.data_dir = irq::test::fixtures() / "mmlu_tiny";
    r.shots = 2;
    r.limit = 3;  // the options the CLI and the job now share travel too
    r.max_tokens = 1024;
    r.batch = 2;
    r.answers_csv = tmp() / "mmlu-remote-answers.csv";
    auto args = irq::mmlu_cli_args(r);
    args.insert(args.end(), {"--db", remote_db.string()});
    const auto out = irq::run_remote(local_cli("eval mmlu", args, db));
    QCOMPARE(out.exit_code, 0);
    QCOMPARE(static_cast<int>(out.subjects.size()), 3);  // the fixture's three subjects
    irq::RunsDb here(db), there(remote_db);
    const auto mine = here.mmlu(out.run_id), theirs = there.mmlu(out.remote_run_id);
    QCOMPARE(mine.size(), theirs.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      QCOMPARE(QString::fromStdString(mine[i].subject), QString::fromStdString(theirs[i].subject));
      QCOMPARE(mine[i].correct, theirs[i].correct);
      QCOMPARE(mine[i].total, theirs[i].total);
    }
    QCOMPARE(grouped_total(out.subjects), int64_t{9});  // 3 subjects, --limit 3
    const auto config = nlohmann::json::parse(there.get(out.remote_run_id).config_json);
    QCOMPARE(config.at("limit").get<int64_t>(), int64_t{3});
    QCOMPARE(config.at("max_tokens").get<int64_t>(), int64_t{1024});
    QCOMPARE(config.at("front_end").get<std::string>(), std::string("cli"));
    QVERIFY(fs::exists(r.answers_csv));
    r.answers_csv = tmp() / "mmlu-local-answers.csv";
    const auto local = irq::run_mmlu(r);  // the same evaluation in this process
    QCOMPARE(irq::test::read_file(r.answers_csv), irq::test::read_file(tmp() / "mmlu-remote-answers.csv"));
    const auto grouped = irq::mmlu_outcome(out.subjects);
    QCOMPARE(grouped.overall.correct, local.overall.correct);
    QCOMPARE(grouped.overall.total, local.overall.total);
    QCOMPARE(grouped.categories.size(), local.categories.size());
    for (const auto& [cat, t] : local.categories) {
      QCOMPARE(grouped.categories.at(cat).correct, t.correct);
      QCOMPARE(grouped.categories.at(cat).total, t.total);
    }
    r.model.settings = irq::QuantSettings::for_method("nf4");  // no CLI options for a whole recorded setting
    QVERIFY(irq::test::throws_error([&] { irq::mmlu_cli_args(r); }, ErrorKind::kUnsupported, {"recorded"}));
  }

  void finetune_metrics_and_artifacts_are_recorded() {
    const fs::path db = tmp() / "local.sqlite", remote_db = tmp() / "remote.sqlite", ft = tmp() / "ft";
    std::vector<int64_t> steps;
    const auto out = irq::run_remote(local_cli("finetune",
                                               {tiny_dir().string(), "--data", (irq::test::fixtures() / "alpaca_tiny.json").string(),
                                                "--rank", "8", "--steps", "2", "--batch", "2", "--device", "cpu", "--out",
                                                ft.string(), "--db", remote_db.string()},
                                               db),
                                     nullptr, nullptr, [&](int64_t step, const std::map<std::string, double>&) { steps.push_back(step); });
    QCOMPARE(steps, (std::vector<int64_t>{1, 2}));
    QVERIFY(out.last_metrics.count("loss"));
    QVERIFY(has_artifact(out.artifacts, "adapter", (ft / "adapter").string()));
    QVERIFY(out.remote_run_id > 0);
    irq::RunsDb runs(db);
    double loss_at_2 = -1;
    for (const auto& m : runs.metrics(out.run_id))
      if (m.step == 2 && m.name == "loss") loss_at_2 = m.value;
    QCOMPARE(loss_at_2, out.last_metrics.at("loss"));
    const auto artifacts = runs.artifacts(out.run_id);
    QVERIFY(has_artifact(artifacts, "adapter", "localhost:" + (ft / "adapter").string()));
    QVERIFY(has_artifact(artifacts, "remote-run", "localhost:" + remote_db.string() + "#" + std::to_string(out.remote_run_id)));
    // The host's own record agrees.
    irq::RunsDb there(remote_db);
    QCOMPARE(QString::fromStdString(there.get(out.remote_run_id).status), QString("finished"));
  }

  // The workbench's finetune request, as CLI arguments, runs remotely with its settings.
  void finetune_request_as_cli_arguments() {
    irq::FinetuneRequest req;
    req.model_dir = tiny_dir();
    req.data_file = irq::test::fixtures() / "alpaca_tiny.json";
    req.out_dir = tmp() / "ft-request";
    req.quant = "int4";
    req.quant_group = 32;
    req.icq = false;
    req.lora.iec = false;
    req.lora.rank = 4;
    req.lora.alpha = 8;
    req.lora.dropout = 0.05;
    req.lora.targets = {"q_proj", "v_proj"};
    req.train.steps = 2;
    req.train.batch = 2;
    req.train.lr = 1.5e-3;
    req.train.schedule = "cosine";
    req.train.warmup_ratio = 0.25;
    req.train.target_max_len = 64;
    req.holdout = 4;
    req.save_every = 1;
    req.device = "cpu";
    req.train.seed = 7;
    irq::RemoteRequest r = local_cli("finetune", irq::finetune_cli_args(req), tmp() / "req.sqlite");
    r.args.insert(r.args.end(), {"--db", (tmp() / "req-remote.sqlite").string()});
    const auto out = irq::run_remote(r);
    irq::RunsDb there(tmp() / "req-remote.sqlite");
    const auto config = nlohmann::json::parse(there.get(out.remote_run_id).config_json);
    QCOMPARE(config.at("rank").get<int64_t>(), int64_t{4});
    QCOMPARE(config.at("alpha").get<double>(), 8.0);
    QCOMPARE(config.at("steps").get<int64_t>(), int64_t{2});
    QCOMPARE(config.at("batch").get<int64_t>(), int64_t{2});
    QCOMPARE(config.at("lr").get<double>(), 1.5e-3);
    QCOMPARE(config.at("seed").get<int64_t>(), int64_t{7});
    QCOMPARE(config.at("iec").get<bool>(), false);
    QCOMPARE(QString::fromStdString(config.at("quant").dump()).contains("\"icq\":false"), true);
    QCOMPARE(QString::fromStdString(config.at("quant").dump()).contains("\"block_size\":32"), true);
    // The options the workbench's form gained travel too.
    QCOMPARE(config.at("lora_dropout").get<double>(), 0.05);
    QCOMPARE(config.at("targets").get<std::vector<std::string>>(), (std::vector<std::string>{"q_proj", "v_proj"}));
    QCOMPARE(config.at("schedule").get<std::string>(), std::string("cosine"));
    QCOMPARE(config.at("warmup_ratio").get<double>(), 0.25);
    QCOMPARE(config.at("target_max_len").get<int64_t>(), int64_t{64});
    QCOMPARE(config.at("holdout").get<int64_t>(), int64_t{4});
    QCOMPARE(config.at("front_end").get<std::string>(), std::string("cli"));
    QVERIFY(fs::exists(req.out_dir / "checkpoint-1"));  // save_every 1
    QVERIFY(fs::exists(req.out_dir / "checkpoint-2"));
    bool eval_loss = false;
    for (const auto& m : there.metrics(out.remote_run_id)) eval_loss = eval_loss || m.name == "eval_loss";
    QVERIFY2(eval_loss, "the held-out rows were not evaluated");
  }

  void remote_error_is_reported_and_recorded() {
    const fs::path db = tmp() / "errors.sqlite";
    QVERIFY(irq::test::throws_error(
        [&] { irq::run_remote(local_cli("quantize", {(tmp() / "nowhere").string(), "--no-record"}, db)); },
        ErrorKind::kNotFound, {"remote localhost: irqlora quantize", "nowhere"}));
    irq::RunsDb runs(db);
    QCOMPARE(QString::fromStdString(runs.list().front().status), QString("failed"));
  }

  // What ssh does when it cannot reach the host: stderr text, exit 255, no events.
  void a_command_without_a_result_is_named() {
    irq::RemoteRequest r = local_cli("quantize", {tiny_dir().string()}, {});
    r.launcher = {"sh", "-c", "echo 'ssh: connect to host gpu9 port 22: Connection refused' >&2; exit 255", "--"};
    r.host = "gpu9";
    QVERIFY(irq::test::throws_error([&] { irq::run_remote(r); }, ErrorKind::kIo,
                                    {"remote gpu9", "exit code 255", "without a result", "Connection refused"}));
    r.launcher = {(tmp() / "no-such-ssh").string()};
    QVERIFY(irq::test::throws_error([&] { irq::run_remote(r); }, ErrorKind::kNotFound, {"no-such-ssh", "cannot start"}));
  }

  void cancel_stops_the_remote_cli() {
    const fs::path db = tmp() / "cancel.sqlite", remote_db = tmp() / "cancel-remote.sqlite";
    irq::CancelToken cancel;
    Progress progress;
    progress.on_stage = [&](const std::string& stage) {
      if (stage == "train") cancel.cancel();
    };
    const auto t0 = std::chrono::steady_clock::now();
    QVERIFY(irq::test::throws_error(
        [&] {
          irq::run_remote(local_cli("finetune",
                                    {tiny_dir().string(), "--data", (irq::test::fixtures() / "alpaca_tiny.json").string(), "--rank",
                                     "8", "--steps", "100000", "--device", "cpu", "--out", (tmp() / "ft-cancel").string(),
                                     "--db", remote_db.string()},
                                    db),
                          &progress, &cancel);
        },
        ErrorKind::kCancelled, {"remote localhost", "cancelled"}));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY2(seconds < 60, "cancel did not stop the remote CLI promptly");
    irq::RunsDb runs(db);
    QCOMPARE(QString::fromStdString(runs.list().front().status), QString("cancelled"));
    // The remote CLI is gone: its own database finds its run's process dead.
    QCOMPARE(QString::fromStdString(status_within(remote_db, std::chrono::seconds(10))), QString("interrupted"));
  }

  // The real thing: ssh to a loopback sshd that this test starts.
  void over_loopback_ssh() {
    const fs::path sshd = "/usr/sbin/sshd";
    if (!fs::exists(sshd)) QSKIP("no /usr/sbin/sshd (openssh-server): the loopback ssh test needs one");
    const fs::path d = tmp() / "ssh";
    fs::create_directories(d);
    if (exit_status({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (d / "host").string()}) != 0 ||
        exit_status({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (d / "id").string()}) != 0)
      QSKIP("ssh-keygen failed: no loopback ssh here");
    fs::copy_file(d / "id.pub", d / "authorized_keys");
    const int port = free_port();
    irq::test::write_file(d / "sshd_config", "Port " + std::to_string(port) + "\nListenAddress 127.0.0.1\nHostKey " +
                                                 (d / "host").string() + "\nAuthorizedKeysFile " + (d / "authorized_keys").string() +
                                                 "\nStrictModes no\nUsePAM no\nPidFile " + (d / "sshd.pid").string() +
                                                 "\nPasswordAuthentication no\n");
    fs::create_directories("/run/sshd");  // privilege separation directory sshd insists on
    irq::ChildProcess server({sshd.string(), "-D", "-e", "-f", (d / "sshd_config").string()});
    for (int i = 0; i < 50 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!accepts(port)) QSKIP("sshd did not start (not root, or no privilege separation user): no loopback ssh here");
    // A model folder whose name the remote shell would split or expand unquoted.
    const fs::path model = tmp() / "it's a $HOME model";
    fs::create_directories(model);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.model"}) fs::copy_file(tiny_dir() / f, model / f);
    irq::RemoteRequest r = local_cli("quantize", {model.string(), "--method", "int4", "--device", "cpu", "--no-record"},
                                     tmp() / "ssh.sqlite");
    r.launcher = {"ssh", "-p", std::to_string(port), "-i", (d / "id").string(), "-o", "BatchMode=yes", "-o",
                  "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "127.0.0.1"};
    r.host = "127.0.0.1";
    Progress progress;
    const auto out = irq::run_remote(r, &progress);
    QCOMPARE(out.exit_code, 0);
    QVERIFY(progress.saw("quantize", 14, 14));

    // Cancel reaches the CLI on the host (kill -TERM through ssh), not only the local client.
    const fs::path remote_db = tmp() / "ssh-remote.sqlite";
    irq::RemoteRequest ft = local_cli("finetune",
                                      {model.string(), "--data", (irq::test::fixtures() / "alpaca_tiny.json").string(), "--rank", "8",
                                       "--steps", "100000", "--device", "cpu", "--out", (tmp() / "ssh-ft").string(), "--db",
                                       remote_db.string()},
                                      {});
    ft.launcher = r.launcher;
    ft.host = r.host;
    irq::CancelToken cancel;
    Progress cancelling;
    cancelling.on_stage = [&](const std::string& stage) {
      if (stage == "train") cancel.cancel();
    };
    QVERIFY(irq::test::throws_error([&] { irq::run_remote(ft, &cancelling, &cancel); }, ErrorKind::kCancelled, {"remote 127.0.0.1"}));
    QCOMPARE(QString::fromStdString(status_within(remote_db, std::chrono::seconds(10))), QString("interrupted"));
    server.signal(SIGTERM);
  }
};

IRQ_TEST_CASE(TestRemoteJob, "test_remote_job")
#include "test_remote_job.moc"
