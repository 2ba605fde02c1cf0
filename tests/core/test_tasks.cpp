// Zero-shot tasks as lm-evaluation-harness scores them: the Python string
// operations of its task configs, every fixture record's prompts against
// golden_prompts.json, per-example log-likelihoods and predictions against
// transformers (scripts/checks/tasks_transformers.py) on a sentencepiece and a
// tokenizer.json model, the shared-prefix path against whole pairs (also
// truncated), lm-eval's metrics and results layout, bad records named by file
// and line, and the job (validation, recording).
#include "support/test_support.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "eval/task_text.h"
#include "eval/tasks_eval.h"
#include "jobs/tasks_job.h"
#include "model/model_loader.h"
#include "runs/runs_db.h"

namespace fs = std::filesystem;
using irq::ErrorKind;

namespace {
constexpr double kMaxLoglikError = 1e-4;  // vs transformers float32, per (context, choice)
constexpr double kMaxPathError = 1e-4;    // shared prefix vs whole pairs, same engine
}  // namespace

class TestTasks : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

  fs::path tmp() const { return fs::path(tmp_.path().toStdString()); }
  static fs::path data() { return irq::test::fixtures() / "tasks"; }

  // tiny_llama's weights with a 1024-token context and the given tokenizer,
  // as tasks_transformers.py builds the models it scores.
  fs::path model(const std::string& tokenizer) {
    const fs::path dir = tmp() / ("tiny_llama_" + tokenizer);
    if (fs::exists(dir / "config.json")) return dir;
    fs::create_directories(dir);
    const fs::path src = irq::test::fixtures() / "tiny_llama";
    fs::copy_file(src / "model.safetensors", dir / "model.safetensors");
    auto cfg = nlohmann::json::parse(irq::test::read_file(src / "config.json"));
    cfg["max_position_embeddings"] = 1024;
    irq::test::write_file(dir / "config.json", cfg.dump(2));
    if (tokenizer == "sp") {
      fs::copy_file(src / "tokenizer.model", dir / "tokenizer.model");
      fs::copy_file(data() / "sp_tokenizer_config.json", dir / "tokenizer_config.json");
    } else {
      for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) fs::copy_file(data() / "tokenizer_json" / f, dir / f);
    }
    return dir;
  }

  std::map<std::string, std::vector<irq::TaskDoc>> all_docs(std::vector<std::string>& order) {
    std::map<std::string, std::vector<irq::TaskDoc>> docs;
    for (const auto& s : irq::task_specs()) {
      order.push_back(s.name);
      docs[s.name] = irq::load_task_docs(data(), s.name);
    }
    return docs;
  }

  // Every document's log-likelihoods and predictions equal the golden's.
  void compare_with_golden(const irq::TasksResult& r, const nlohmann::json& golden, const char* what) {
    double worst = 0;
    size_t i = 0;
    for (const auto& task : r.order) {
      const auto& rows = golden["tasks"][task];
      for (size_t d = 0; d < rows.size(); ++d, ++i) {
        const auto& e = r.examples.at(i);
        QCOMPARE(e.task, task);
        const auto want = rows[d]["logprobs"].get<std::vector<double>>();
        QCOMPARE(e.logprobs.size(), want.size());
        for (size_t k = 0; k < want.size(); ++k) worst = std::max(worst, std::fabs(e.logprobs[k] - want[k]));
        QCOMPARE(e.tokens, rows[d]["tokens"].get<std::vector<int64_t>>());
        const std::string where = std::string(what) + " " + task + " doc " + std::to_string(d);
        QVERIFY2(e.pred == rows[d]["pred"].get<int>(), where.c_str());
        QVERIFY2(e.pred_norm == rows[d]["pred_norm"].get<int>(), where.c_str());
        QCOMPARE(e.gold, rows[d]["gold"].get<int>());
      }
    }
    QCOMPARE(i, r.examples.size());
    qInfo("%s: max |log-likelihood - transformers| = %.3g over %zu documents", what, worst, i);
    QVERIFY2(worst <= kMaxLoglikError, what);
  }

 private Q_SLOTS:
  void python_string_semantics() {
    QCOMPARE(irq::hellaswag_preprocess("  [title] How to x [step] do  it.   "), std::string(" How to x do it."));
    QCOMPARE(irq::hellaswag_preprocess("a [b\nc] d"), std::string("a [b\nc] d"));  // '.' stops at a newline
    QCOMPARE(irq::hellaswag_preprocess("x [a [b] c] y"), std::string("x c] y"));  // shortest match
    QCOMPARE(irq::hellaswag_preprocess("no  brackets   here"), std::string("no brackets  here"));  // one pass
    QCOMPARE(irq::hellaswag_preprocess("\u00a0\tÜber [x]\u2003"), std::string("Über "));
    QCOMPARE(irq::hellaswag_preprocess("[unclosed"), std::string("[unclosed"));
    QCOMPARE(irq::hellaswag_preprocess("a]b[c]"), std::string("a]b"));
    QCOMPARE(irq::py_capitalize("sHE LOOKS"), std::string("She looks"));
    QCOMPARE(irq::py_capitalize("élan VITAL"), std::string("Élan vital"));
    QCOMPARE(irq::py_capitalize("ǆemal"), std::string("ǅemal"));  // title case, not upper case
    QCOMPARE(irq::py_capitalize("1abc"), std::string("1abc"));
    QCOMPARE(irq::py_strip(" \t a b \n\x0b\x0c\r"), std::string("a b"));
    QCOMPARE(irq::py_rstrip(" \t a b \n\x0b\x0c\r"), std::string(" \t a b"));
    QCOMPARE(irq::py_strip("\u3000x\u2028"), std::string("x"));
    QCOMPARE(irq::py_strip("\x1cx\x1f"), std::string("x"));
    QCOMPARE(irq::py_strip("x\u200b"), std::string("x\u200b"));  // zero-width space is not whitespace
    QCOMPARE(irq::py_char_count("Zoë “q”"), size_t(7));  // 12 bytes
  }

  // Every fixture record becomes exactly the requests lm-eval builds
  // (golden_prompts.json from tasks_transformers.py's own implementation).
  void prompts_match_lm_eval() {
    const auto golden = nlohmann::json::parse(irq::test::read_file(data() / "golden_prompts.json"));
    size_t n = 0;
    for (const auto& s : irq::task_specs()) {
      const auto docs = irq::load_task_docs(data(), s.name);
      const auto& want = golden.at(s.name);
      QCOMPARE(docs.size(), want.size());
      for (size_t d = 0; d < docs.size(); ++d, ++n) {
        const auto& doc = docs[d];
        QCOMPARE(doc.gold, want[d]["gold"].get<int>());
        QCOMPARE(doc.choices, want[d]["choices"].get<std::vector<std::string>>());
        QCOMPARE(doc.requests(), want[d]["requests"].size());
        for (size_t i = 0; i < doc.requests(); ++i) {
          QCOMPARE(doc.context(i), want[d]["requests"][i][0].get<std::string>());
          QCOMPARE(doc.continuation(i), want[d]["requests"][i][1].get<std::string>());
        }
      }
    }
    QCOMPARE(n, size_t(7 * 24));
    QCOMPARE(irq::load_task_docs(data(), "piqa", "", 5).size(), size_t(5));  // --limit
  }

  void bad_records_are_named() {
    const fs::path dir = tmp() / "bad";
    fs::create_directories(dir);
    const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> cases = {
        {"piqa", "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 2}", {"line 2", "\"label\" = 2 is not one of the 2 choices"}},
        {"piqa", "{\"goal\": 5, \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 0}", {"line 2", "\"goal\" is not a string"}},
        {"piqa", "{\"goal\": \"g\", \"sol1\": \"a\", \"label\": 0}", {"line 2", "has no \"sol2\""}},
        {"piqa", "[1, 2]", {"line 2", "is not a JSON object"}},
        {"piqa", "{\"goal\": ", {"line 2", "not valid JSON"}},
        {"piqa", std::string(100, '[') + std::string(100, ']'), {"line 2", "deeper than 16 levels"}},
        {"piqa", "{\"goal\": \"\xff\", \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 0}", {"line 2", "not valid JSON"}},  // invalid UTF-8
        {"winogrande", "{\"sentence\": \"no blank\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}", {"line 2", "no '_' blank"}},
        {"winogrande", "{\"sentence\": \"_ x\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"3\"}", {"line 2", "\"answer\" = \"3\""}},
        {"hellaswag", "{\"ctx\": \"c\", \"activity_label\": \"a\", \"endings\": [\"x\"], \"label\": \"1e400\"}", {"line 2", "not an integer label"}},
        {"hellaswag", "{\"ctx\": \"c\", \"activity_label\": \"a\", \"endings\": [], \"label\": 0}", {"line 2", "list of 1 to 64 strings"}},
        {"arc_easy", "{\"question\": \"q\", \"choices\": {\"text\": [\"a\", \"b\"], \"label\": [\"A\"]}, \"answerKey\": \"A\"}", {"line 2", "2 texts but 1 labels"}},
        {"arc_easy", "{\"question\": \"q\", \"choices\": {\"text\": [\"a\"], \"label\": [\"A\"]}, \"answerKey\": \"B\"}", {"line 2", "\"answerKey\" = \"B\""}},
        {"boolq", "{\"question\": \"q\", \"passage\": \"p\", \"answer\": \"yes\"}", {"line 2", "\"answer\" is not true or false"}},
    };
    const std::string good_piqa = "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\", \"label\": 0}\n";
    for (const auto& [task, line, needles] : cases) {
      const fs::path file = irq::task_file(dir, task, "");
      irq::test::write_file(file, (task == "piqa" ? good_piqa : std::string("\n")) + line + "\n");
      bool ok = irq::test::throws_error([&] { irq::load_task_docs(dir, task); }, ErrorKind::kInvalidInput, {file.string(), needles[0], needles[1]});
      QVERIFY2(ok, line.substr(0, 60).c_str());
    }
    QVERIFY(irq::test::throws_error([&] { irq::load_task_docs(dir, "openbookqa"); }, ErrorKind::kNotFound, {"openbookqa_test.jsonl"}));
    QVERIFY(irq::test::throws_error([&] { irq::load_task_docs(dir, "lambada"); }, ErrorKind::kUsage, {"unknown task 'lambada'", "hellaswag"}));
    fs::remove(dir / "boolq_validation.jsonl");
    fs::create_directories(dir / "boolq_validation.jsonl");
    QVERIFY(irq::test::throws_error([&] { irq::load_task_docs(dir, "boolq"); }, ErrorKind::kInvalidInput, {"not a regular file"}));
  }

  void loglikelihoods_match_transformers() {
    std::vector<std::string> order;
    const auto docs = all_docs(order);
    for (const std::string kind : {"sp", "json"}) {
      auto loaded = irq::load_model(model(kind));
      QCOMPARE(loaded.require_tokenizer().kind().find(kind == "sp" ? "sentencepiece" : "tokenizer.json") != std::string::npos, true);
      const auto golden = nlohmann::json::parse(irq::test::read_file(data() / (kind == "sp" ? "golden_tiny_llama_sp.json" : "golden_tiny_llama_json.json")));
      int64_t positions[2] = {0, 0};  // run by the shared and whole paths
      for (const bool shared : {true, false}) {
        irq::TasksOptions o;
        o.score.shared = shared;
        o.score.batch = shared ? 3 : 2;  // batches that split a document's choices
        const auto r = irq::evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, o);
        compare_with_golden(r, golden, (kind + (shared ? " shared" : " whole")).c_str());
        positions[shared ? 0 : 1] = r.tokens_run;
      }
      qInfo("positions run: %lld shared, %lld whole", (long long)positions[0], (long long)positions[1]);
      QVERIFY(2 * positions[0] < positions[1]);  // each context ran once, not once per choice
    }
  }

  // Contexts longer than the window: lm-eval keeps the last L+1 tokens; the
  // shared path (whose prefix then differs per choice) agrees with whole pairs.
  void truncated_inputs_agree() {
    std::vector<std::string> order;
    const auto docs = all_docs(order);
    auto loaded = irq::load_model(model("sp"));
    irq::TasksOptions o;
    o.score.max_length = 40;
    o.score.shared = false;
    const auto whole = irq::evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, o);
    o.score.shared = true;
    const auto shared = irq::evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, o);
    double worst = 0;
    for (size_t i = 0; i < whole.examples.size(); ++i) {
      QCOMPARE(shared.examples[i].pred, whole.examples[i].pred);
      for (size_t k = 0; k < whole.examples[i].logprobs.size(); ++k)
        worst = std::max(worst, std::fabs(shared.examples[i].logprobs[k] - whole.examples[i].logprobs[k]));
    }
    QVERIFY2(worst <= kMaxPathError, std::to_string(worst).c_str());
    // Truncation changed the scores: the window really cut the contexts.
    const auto full = nlohmann::json::parse(irq::test::read_file(data() / "golden_tiny_llama_sp.json"));
    QVERIFY(std::fabs(whole.examples[0].logprobs[0] - full["tasks"]["hellaswag"][0]["logprobs"][0].get<double>()) > 1e-3);
  }

  void metrics_and_layout() {
    irq::TasksResult r;
    r.order = {"boolq", "piqa"};
    irq::TaskScore b;
    b.n = 4;
    b.acc = 0.75;
    b.has_acc_norm = false;
    r.scores["boolq"] = b;
    r.scores["piqa"] = {1, 1.0, std::nan(""), 0.0, std::nan(""), true};
    const auto j = irq::to_lm_eval_json(r, {{"model", "m"}});
    QCOMPARE(j["results"]["boolq"]["alias"].get<std::string>(), std::string("boolq"));
    QCOMPARE(j["results"]["boolq"]["acc,none"].get<double>(), 0.75);
    QVERIFY(!j["results"]["boolq"].contains("acc_norm,none"));
    QCOMPARE(j["results"]["piqa"]["acc_stderr,none"].get<std::string>(), std::string("N/A"));
    QCOMPARE(j["versions"]["boolq"].get<double>(), 2.0);
    QCOMPARE(j["n-shot"]["piqa"].get<int>(), 0);
    QCOMPARE(j["n-samples"]["boolq"]["effective"].get<int>(), 4);
    QCOMPARE(j["config"]["model"].get<std::string>(), std::string("m"));

    // The scores of a real run: acc and its stderr as numpy computes them
    // from the per-document 0/1 values (sample deviation / sqrt(n)).
    std::vector<std::string> order{"arc_easy"};
    std::map<std::string, std::vector<irq::TaskDoc>> docs{{"arc_easy", irq::load_task_docs(data(), "arc_easy")}};
    auto loaded = irq::load_model(model("sp"));
    const auto res = irq::evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, {});
    double n = 0, hits = 0;
    for (const auto& e : res.examples) {
      n += 1;
      hits += e.pred == e.gold;
    }
    const double p = hits / n, sd = std::sqrt((hits * (1 - p) * (1 - p) + (n - hits) * p * p) / (n - 1));
    QCOMPARE(res.scores.at("arc_easy").acc, p);
    QVERIFY(std::fabs(res.scores.at("arc_easy").acc_stderr - sd / std::sqrt(n)) < 1e-12);
    QVERIFY(p > 0 && p < 1);  // both outcomes occur, so the stderr is a real one
  }

  void job_validates_and_records() {
    irq::TasksRequest bad;
    // model_dir and data_dir left empty
    bad.tasks = {"piqa", "lambada"};
    bad.limit = -1;
    bad.model.device = "tpu";
    const auto problems = irq::validate(bad);
    auto has = [&](const std::string& prefix) {
      for (const auto& p : problems)
        if (p.rfind(prefix, 0) == 0) return true;
      return false;
    };
    QVERIFY(has("model:"));
    QVERIFY(has("data:"));
    QVERIFY(has("tasks: ") && has("limit:") && has("device:"));
    QCOMPARE(problems.size(), size_t(5));
    // A missing file is the loader's error, naming it (exit 4 in the CLI).
    irq::TasksRequest absent;
    absent.model.model_dir = model("sp");
    absent.model.device = "cpu";
    absent.data_dir = tmp() / "no-data";
    QVERIFY(irq::validate(absent).empty());
    QVERIFY(irq::test::throws_error([&] { irq::run_tasks(absent); }, ErrorKind::kNotFound, {"no-data/hellaswag_validation.jsonl"}));

    irq::TasksRequest r;
    r.model.model_dir = model("json");
    r.model.device = "cpu";
    r.data_dir = data();
    r.tasks = {"winogrande", "openbookqa"};
    r.limit = 6;
    r.db_path = tmp() / "runs.sqlite";
    r.results_json = tmp() / "results.json";
    r.examples_csv = tmp() / "examples.csv";
    const auto out = irq::run_tasks(r);
    QVERIFY(out.run_id >= 0);
    QCOMPARE(out.result.documents, int64_t(12));
    const auto j = nlohmann::json::parse(irq::test::read_file(r.results_json));
    QCOMPARE(j["results"]["openbookqa"]["acc,none"].get<double>(), out.result.scores.at("openbookqa").acc);
    QCOMPARE(j["config"]["limit"].get<int>(), 6);
    const std::string csv = irq::test::read_file(r.examples_csv);
    QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), std::ptrdiff_t(1 + 6 * 2 + 6 * 4));
    irq::RunsDb db(r.db_path);
    const auto run = db.get(out.run_id);
    QCOMPARE(run.kind, std::string("eval-tasks"));
    QCOMPARE(run.status, std::string("finished"));
    std::map<std::string, double> m;
    for (const auto& p : db.metrics(out.run_id)) m[p.name] = p.value;
    QCOMPARE(m.at("winogrande_acc"), out.result.scores.at("winogrande").acc);
    QCOMPARE(m.at("openbookqa_acc_norm"), out.result.scores.at("openbookqa").acc_norm);
    QVERIFY(!m.count("winogrande_acc_norm"));
  }
};

IRQ_TEST_CASE(TestTasks, "test_tasks")
#include "test_tasks.moc"
