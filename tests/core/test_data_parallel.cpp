// Data-parallel finetuning (dist/, train/trainer.h): the torchrun/Slurm
// environment, c10d Gloo all-reduce between two ranks, and the CLI's
// `finetune --nproc 2` on CPU ranks: the same losses as one process with the
// same global batch (through accumulation, a rank left without rows and an
// epoch boundary), a 2-rank checkpoint resumed by one rank, and a killed or
// hung rank ending the job with an error that names it.
#include "support/test_support.h"
#include "support/free_port.h"

#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "dist/dist_env.h"
#include "dist/process_group.h"
#include "runs/runs_db.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Losses of 2 ranks against one process with the same global batch: the
// same sums in another order and another padding width.
constexpr double kLossTolerance = 1e-5;
// A killed rank must end the job within this (the bound).
constexpr std::chrono::seconds kFailureBound{60};
// The collective timeout given to ranks whose peer hangs.
constexpr int kHangTimeoutSeconds = 8;

struct Ran {
  int code = -1;
  std::string err;
};

std::vector<std::string> with_env(const std::vector<std::string>& env, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(IRQ_CLI);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Ran run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  irq::ChildProcess p(with_env(env, args));
  Ran r;
  while (p.read_lines(100, [&](int stream, const std::string& line) {
    if (stream == 2) r.err += line + "\n";
  })) {
  }
  r.code = p.wait();
  if (r.code != 0) qWarning("irqlora exited with %d:\n%s", r.code, r.err.c_str());
  return r;
}

// 15 training rows (16, one held out): with 2 ranks of batch 1 a global
// micro-batch has 2 rows, so the 8th of an epoch has one and rank 1 none;
// accumulation 3 makes step 3 cross the epoch boundary.
std::vector<std::string> finetune(const fs::path& out, int64_t batch, int64_t steps = 4) {
  return {"finetune", (irq::test::fixtures() / "tiny_llama").string(), "--data", (irq::test::fixtures() / "alpaca_tiny.json").string(),
          "--holdout", "1", "--steps", std::to_string(steps), "--batch", std::to_string(batch), "--accum", "3", "--rank", "4",
          "--lr", "1e-3", "--device", "cpu", "--db", (out.parent_path() / "runs.sqlite").string(), "--seed", "7", "--out", out.string()};
}

std::vector<double> losses(const fs::path& checkpoint) {
  const auto state = nlohmann::json::parse(irq::test::read_file(checkpoint / "trainer_state.json"));
  return state.at("losses").get<std::vector<double>>();
}

void compare_losses(const std::vector<double>& a, const std::vector<double>& b) {
  QCOMPARE(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    qInfo("step %zu: %.9f vs %.9f (diff %.2e)", i + 1, a[i], b[i], std::abs(a[i] - b[i]));
    QVERIFY2(std::abs(a[i] - b[i]) <= kLossTolerance, qPrintable(QString("step %1").arg(i + 1)));
  }
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  char state = 0;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// The pid of the launcher's child whose environment has RANK=<rank>.
pid_t rank_pid(pid_t launcher, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (parent_of(pid) != launcher) continue;
    const std::string env = std::string(1, '\0') + irq::test::read_file(e.path() / "environ");
    if (env.find(std::string(1, '\0') + "RANK=" + std::to_string(rank) + std::string(1, '\0')) != std::string::npos)
      return pid;
  }
  return -1;
}

// Reads `p` until `pred(line)` on stderr or the stream ends; collects stderr.
bool read_until(irq::ChildProcess& p, std::string* err, const std::function<bool(const std::string&)>& pred) {
  bool seen = false;
  while (!seen && p.read_lines(100, [&](int stream, const std::string& line) {
    if (stream != 2) return;
    *err += line + "\n";
    seen = seen || pred(line);
  })) {
  }
  return seen;
}

void drain(irq::ChildProcess& p, std::string* err) {
  read_until(p, err, [](const std::string&) { return false; });
}

bool training(const std::string& line) { return line.find("\"stage\":\"train\"") != std::string::npos; }

}  // namespace

class TestDataParallel : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

 private Q_SLOTS:
  void environment_of_torchrun_and_slurm() {
    auto from = [](std::map<std::string, std::string> vars) {
      return irq::dist_env_from([vars](const char* n) -> const char* {
        const auto it = vars.find(n);
        return it == vars.end() ? nullptr : it->second.c_str();
      });
    };
    QVERIFY(!from({}).distributed());
    const auto t = from({{"RANK", "3"}, {"WORLD_SIZE", "16"}, {"LOCAL_RANK", "3"}, {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29400"}});
    QCOMPARE(t.rank, 3);
    QCOMPARE(t.world, 16);
    QCOMPARE(t.local_rank, 3);
    QCOMPARE(QString::fromStdString(t.master_addr), QString("node0"));
    QCOMPARE(t.master_port, 29400);
    QCOMPARE(t.listen_fd, -1);  // only rank 0 takes the launcher's socket
    QVERIFY(!t.agent_store);
    QVERIFY(from({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"}})
                .agent_store);  // torchrun's agent serves the store
    const auto s = from({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"MASTER_ADDR", "n1"}, {"MASTER_PORT", "1234"}});
    QCOMPARE(s.rank, 5);
    QCOMPARE(s.world, 8);
    QCOMPARE(s.local_rank, 1);
    auto fails_naming = [&](std::map<std::string, std::string> vars, const char* name) {
      try {
        from(vars);
        QFAIL("accepted");
      } catch (const irq::Error& e) {
        QCOMPARE(e.kind(), irq::ErrorKind::kUsage);
        QVERIFY2(std::string(e.what()).find(name) != std::string::npos, e.what());
      }
    };
    fails_naming({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, "RANK");
    fails_naming({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}}, "MASTER_PORT");
    fails_naming({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}}, "MASTER_PORT");
    fails_naming({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29500"}}, "MASTER_ADDR");
    fails_naming({{"RANK", "x"}, {"WORLD_SIZE", "2"}}, "RANK");
  }

  // Two ranks in two threads: bucketed sums equal the sum, exactly.
  void gloo_allreduce_sums_buckets() {
    const int port = irq::test::free_port();
    std::vector<torch::Tensor> got(2);
    std::vector<std::string> errors(2);
    auto rank = [&](int r) {
      try {
        irq::DistEnv env;
        env.rank = r;
        env.world = 2;
        env.master_port = port;
        auto group = irq::DataParallelGroup::join(env, torch::kCPU, std::chrono::seconds(30));
        QCOMPARE(QString::fromStdString(group->backend()), QString("gloo"));
        auto t = torch::arange(1000, torch::kFloat32) * static_cast<float>(r + 1);
        group->allreduce_sum(t, /*bucket_bytes=*/256);  // 16 buckets, the last partial
        group->barrier();
        got[static_cast<size_t>(r)] = t;
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    };
    std::thread a(rank, 0), b(rank, 1);
    a.join();
    b.join();
    QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + " | " + errors[1]).c_str());
    const auto want = torch::arange(1000, torch::kFloat32) * 3.0f;
    QVERIFY(torch::equal(got[0], want));
    QVERIFY(torch::equal(got[1], want));
  }

  // 2 ranks x batch 1 against 1 process x batch 2 (accumulation 3 both).
  void two_ranks_train_as_one_process() {
    const Ran one = run_cli(finetune(tmp() / "one", 2));
    QCOMPARE(one.code, 0);
    auto two_args = finetune(tmp() / "two", 1);
    two_args.insert(two_args.end(), {"--nproc", "2", "--save-every", "2", "--dist-check-every", "1"});
    const Ran two = run_cli(two_args);
    QCOMPARE(two.code, 0);
    QVERIFY2(two.err.find("x 2 ranks (gloo)") != std::string::npos, two.err.c_str());
    compare_losses(losses(tmp() / "two" / "checkpoint-4"), losses(tmp() / "one" / "checkpoint-4"));
    QVERIFY(fs::exists(tmp() / "two" / "adapter" / "adapter_model.safetensors"));
    const auto state = nlohmann::json::parse(irq::test::read_file(tmp() / "two" / "checkpoint-4" / "trainer_state.json"));
    QCOMPARE(state.at("world_size").get<int>(), 2);
    QCOMPARE(state.at("global_micro_batch").get<int>(), 2);
    // rank 0 alone recorded the job: one run, world_size in its config, each rank's tokens/s
    irq::RunsDb runs(tmp() / "runs.sqlite");
    const auto list = runs.list();
    QCOMPARE(static_cast<int>(list.size()), 2);  // the single process's run and the job's
    const auto job = runs.get(std::max(list.front().id, list.back().id));  // the later run
    QCOMPARE(nlohmann::json::parse(job.config_json).at("world_size").get<int>(), 2);
    int rank_metrics = 0;
    for (const auto& m : runs.metrics(job.id)) rank_metrics += m.name.rfind("tokens_per_second_rank", 0) == 0 && m.value > 0;
    QCOMPARE(rank_metrics, 2 * 4);  // 2 ranks x 4 steps
  }

  // torchrun (the wheel's, a single node) starts the ranks: its agent
  // serves the store; the losses are the one process's.
  void torchrun_starts_the_ranks() {
    if (std::string(IRQ_TORCHRUN).empty()) QSKIP("no torchrun beside the torch wheel");
    QVERIFY2(fs::exists(tmp() / "one" / "checkpoint-4"), "needs two_ranks_train_as_one_process");
    const std::string port = std::to_string(irq::test::free_port());
    std::vector<std::string> argv = {IRQ_TORCHRUN, "--nnodes", "1", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
                                     "--master-port", port, "--no-python", IRQ_CLI};
    const auto args = finetune(tmp() / "torchrun", 1);
    argv.insert(argv.end(), args.begin(), args.end());
    irq::ChildProcess p(argv);
    std::string err;
    drain(p, &err);
    QVERIFY2(p.wait() == 0, err.c_str());
    compare_losses(losses(tmp() / "torchrun" / "checkpoint-4"), losses(tmp() / "one" / "checkpoint-4"));
  }

  // The 2-rank checkpoint at step 2, resumed by one process with batch 2.
  void one_rank_resumes_a_two_rank_checkpoint() {
    const fs::path two = tmp() / "two", resumed = tmp() / "resumed";
    QVERIFY2(fs::exists(two / "checkpoint-2"), "needs two_ranks_train_as_one_process");
    fs::create_directories(resumed);
    fs::copy(two / "checkpoint-2", resumed / "checkpoint-2", fs::copy_options::recursive);
    auto args = finetune(resumed, 2);
    args.push_back("--resume");
    QCOMPARE(run_cli(args).code, 0);
    compare_losses(losses(resumed / "checkpoint-4"), losses(two / "checkpoint-4"));
    // another global micro-batch cannot continue the same data order
    fs::remove_all(resumed / "checkpoint-4");
    auto wrong = finetune(resumed, 1);
    wrong.push_back("--resume");
    const Ran r = run_cli(wrong);
    QCOMPARE(r.code, 3);
    QVERIFY2(r.err.find("global micro-batch of 2 rows") != std::string::npos, r.err.c_str());
  }

  void a_killed_rank_ends_the_job_naming_it() {
    auto args = finetune(tmp() / "killed", 1, /*steps=*/100000);
    args.insert(args.end(), {"--nproc", "2", "--progress", "jsonl"});
    irq::ChildProcess launcher(with_env({}, args));
    std::string err;
    QVERIFY2(read_until(launcher, &err, training), err.c_str());
    const pid_t victim = rank_pid(launcher.pid(), 1);
    QVERIFY2(victim > 0, "rank 1 not found among the launcher's children");
    const auto t0 = Clock::now();
    ::kill(victim, SIGKILL);
    drain(launcher, &err);
    const int code = launcher.wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    qInfo("the job ended %.1f s after rank 1 was killed, exit code %d", seconds, code);
    QVERIFY(seconds < static_cast<double>(kFailureBound.count()));
    QVERIFY(code != 0);
    QVERIFY2(err.find("rank 1 (pid " + std::to_string(victim) + ") was killed by signal 9") != std::string::npos, err.c_str());
    QVERIFY2(err.find("\"event\":\"result\"") != std::string::npos, err.c_str());  // the launcher's own result event
  }

  void ctrl_c_stops_every_rank() {
    auto args = finetune(tmp() / "interrupted", 1, /*steps=*/100000);
    args.insert(args.end(), {"--nproc", "2", "--progress", "jsonl"});
    irq::ChildProcess launcher(with_env({}, args));
    std::string err;
    QVERIFY2(read_until(launcher, &err, training), err.c_str());
    const pid_t ranks[2] = {rank_pid(launcher.pid(), 0), rank_pid(launcher.pid(), 1)};
    QVERIFY(ranks[0] > 0 && ranks[1] > 0);
    ::kill(launcher.pid(), SIGINT);
    drain(launcher, &err);
    QCOMPARE(launcher.wait(), 130);
    for (pid_t r : ranks) QVERIFY2(!fs::exists("/proc/" + std::to_string(r)), "a rank outlived the job");  // reaped by the launcher
    QVERIFY2(err.find("\"exit_code\":130") != std::string::npos, err.c_str());
  }

  void a_port_in_use_is_reported() {
    const int busy = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof a;
    QVERIFY(::bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(busy, 1) == 0);
    ::getsockname(busy, reinterpret_cast<sockaddr*>(&a), &len);
    const std::string port = std::to_string(ntohs(a.sin_port));
    const Ran r = run_cli(finetune(tmp() / "port", 1, 1), {"RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port});
    ::close(busy);
    QCOMPARE(r.code, 6);
    QVERIFY2(r.err.find("MASTER_PORT " + port + ": is in use on this host") != std::string::npos, r.err.c_str());
  }

  // Ranks started by hand, as torchrun would: rank 1 stops (SIGSTOP), rank 0
  // fails after the collective timeout with an error naming rank 1.
  void a_hung_rank_is_named_after_the_timeout() {
    const std::string port = std::to_string(irq::test::free_port());
    auto args = finetune(tmp() / "hung", 1, /*steps=*/100000);
    args.insert(args.end(), {"--dist-timeout", std::to_string(kHangTimeoutSeconds), "--progress", "jsonl"});
    auto env = [&](int r) {
      return std::vector<std::string>{"RANK=" + std::to_string(r), "LOCAL_RANK=" + std::to_string(r), "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                                      "MASTER_PORT=" + port, "IRQ_NUM_THREADS=1", "OMP_NUM_THREADS=1"};
    };
    irq::ChildProcess rank0(with_env(env(0), args)), rank1(with_env(env(1), args));
    std::string err0, err1;
    QVERIFY2(read_until(rank0, &err0, training), err0.c_str());
    ::kill(rank1.pid(), SIGSTOP);
    const auto t0 = Clock::now();
    drain(rank0, &err0);
    const int code = rank0.wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    qInfo("rank 0 failed %.1f s after rank 1 stopped, exit code %d", seconds, code);
    rank1.signal(SIGKILL);
    QCOMPARE(code, 6);  // i/o: a peer failed
    QVERIFY(seconds < static_cast<double>(kFailureBound.count()));
    QVERIFY2(err0.find("rank 1 stopped responding") != std::string::npos, err0.c_str());
  }
};

IRQ_TEST_CASE(TestDataParallel, "test_data_parallel")
#include "test_data_parallel.moc"
