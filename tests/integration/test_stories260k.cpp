// Integration with a real trained checkpoint: ../shared/data/models/stories260K-hf
// (llama2.c's stories260K converted to HF, GQA 8/4, tied). Its tokenizer,
// prompt logits and greedy continuations must match llama2.c run.c's outputs
// in golden_greedy.json. Skips with a message where ../shared is absent.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include "eval/mmlu_eval.h"
#include "eval/tasks_eval.h"
#include "model/generate.h"
#include "model/model_loader.h"

namespace fs = std::filesystem;

namespace {
constexpr double kMaxRunCLogitError = 1e-4;   // vs run.c float32 logits
constexpr double kMaxProbError = 1e-4;    // MMLU letter probabilities vs transformers
constexpr double kMaxHfLoglikError = 1e-4;  // task log-likelihoods vs transformers
}

class TestStories260K : public QObject {
  Q_OBJECT
  fs::path dir_;
  nlohmann::json golden_;

 private Q_SLOTS:
  void initTestCase() {
    const fs::path data = irq::test::shared_data();
    if (data.empty() || !fs::exists(data / "models" / "stories260K-hf" / "golden_greedy.json"))
      QSKIP("../shared/data/models/stories260K-hf is absent (set IRQ_SHARED_DATA to run this integration test)");
    dir_ = data / "models" / "stories260K-hf";
    golden_ = nlohmann::json::parse(irq::test::read_file(dir_ / "golden_greedy.json"));
  }

  void tokenizer_matches_run_c() {
    const auto tok = irq::open_tokenizer(dir_);
    const auto& pl = golden_["prompt_logits"];
    QCOMPARE(tok->encode(pl["prompt"].get<std::string>(), true), pl["ids"].get<std::vector<int64_t>>());
  }

  void prompt_logits_match_run_c() {
    auto loaded = irq::load_model(dir_);
    const auto& pl = golden_["prompt_logits"];
    const auto ids = torch::tensor(pl["ids"].get<std::vector<int64_t>>()).view({1, -1});
    std::vector<float> flat;
    for (const auto& row : pl["logits"])
      for (const auto& v : row) flat.push_back(v.get<float>());
    const auto expected = torch::tensor(flat).view({1, ids.size(1), -1});
    torch::NoGradGuard no_grad;
    QVERIFY(irq::test::max_abs_diff(loaded.model->forward(ids), expected, "stories260K prompt logits") < kMaxRunCLogitError);
  }

  void greedy_continuation_matches_run_c() {
    auto loaded = irq::load_model(dir_);
    for (const auto& c : golden_["cases"]) {
      const auto prompt = c["prompt_ids"].get<std::vector<int64_t>>();
      const auto expected = c["ids"].get<std::vector<int64_t>>();
      irq::GenerateOptions g;
      g.max_new_tokens = static_cast<int64_t>(expected.size() - prompt.size());
      g.stop_at_eos = false;
      auto ids = prompt;
      const auto out = irq::generate(loaded.model, prompt, g);
      ids.insert(ids.end(), out.begin(), out.end());
      QCOMPARE(ids, expected);
    }
    // And it is coherent English: the story run.c tells.
    const auto text = loaded.require_tokenizer().decode(golden_["cases"][0]["ids"].get<std::vector<int64_t>>());
    qInfo("%s", text.c_str());
    QVERIFY(text.rfind("Once upon a time, there was a little girl named Lily.", 0) == 0);
  }

  // Real MMLU questions, answered as transformers answers them
  // (mmlu_transformers.py --golden): the same letter for every question and
  // the four probabilities within kMaxProbError.
  void mmlu_on_real_questions() {
    const fs::path mmlu = irq::test::shared_data() / "mmlu" / "data";
    if (!fs::exists(mmlu / "test")) QSKIP("../shared/data/mmlu is absent");
    const auto golden = nlohmann::json::parse(irq::test::read_file(irq::test::fixtures() / "mmlu_tiny" / "golden_stories260k_transformers.json"));
    auto loaded = irq::load_model(dir_);
    const auto subjects = irq::load_mmlu(mmlu, "test", {"abstract_algebra", "high_school_geography", "marketing"});
    irq::MmluOptions o;
    const auto r = irq::evaluate_mmlu(loaded.model, loaded.require_tokenizer(), subjects, irq::MmluCategories::builtin(), o);
    qInfo("stories260K MMLU 5-shot (token limit %lld): %.2f%% of %lld questions in %.1f s (chance is 25%%)",
          static_cast<long long>(r.limit), 100 * r.overall.accuracy(), static_cast<long long>(r.overall.total), r.seconds);
    QCOMPARE(r.overall.total, int64_t(100 + 198 + 234));
    double worst = 0;
    int64_t correct = 0;
    for (const auto& a : r.answers) {
      const auto& g = golden["subjects"][a.subject][static_cast<size_t>(a.index)];
      QCOMPARE(g["index"].get<int>(), a.index);
      QCOMPARE(a.shots, g["shots"].get<int>());
      QCOMPARE(a.tokens, g["tokens"].get<int64_t>());
      const auto p = g["probs"].get<std::vector<double>>();
      for (int k = 0; k < 4; ++k) worst = std::max(worst, std::fabs(p[static_cast<size_t>(k)] - a.probs[k]));
      QCOMPARE(a.predicted, static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()));
      correct += a.predicted == a.answer;
    }
    QCOMPARE(r.overall.correct, correct);
    QVERIFY2(worst <= kMaxProbError, std::to_string(worst).c_str());
  }

  // The zero-shot task fixtures scored as transformers scores them
  // (tasks_transformers.py --fixtures wrote golden_stories260k.json).
  void tasks_match_transformers() {
    const auto golden = nlohmann::json::parse(irq::test::read_file(irq::test::fixtures() / "tasks" / "golden_stories260k.json"));
    auto loaded = irq::load_model(dir_);
    std::vector<std::string> order;
    std::map<std::string, std::vector<irq::TaskDoc>> docs;
    for (const auto& s : irq::task_specs()) {
      order.push_back(s.name);
      docs[s.name] = irq::load_task_docs(irq::test::fixtures() / "tasks", s.name);
    }
    const auto r = irq::evaluate_tasks(loaded.model, loaded.require_tokenizer(), order, docs, {});
    double worst = 0;
    size_t i = 0;
    for (const auto& task : order)
      for (const auto& row : golden["tasks"][task]) {
        const auto& e = r.examples.at(i++);
        const auto want = row["logprobs"].get<std::vector<double>>();
        for (size_t k = 0; k < want.size(); ++k) worst = std::max(worst, std::fabs(e.logprobs.at(k) - want[k]));
        QCOMPARE(e.pred, row["pred"].get<int>());
        QCOMPARE(e.pred_norm, row["pred_norm"].get<int>());
      }
    QCOMPARE(i, r.examples.size());
    qInfo("stories260K tasks: %zu documents, max |log-likelihood - transformers| %.3g", i, worst);
    QVERIFY(worst <= kMaxHfLoglikError);
  }
};

IRQ_TEST_CASE(TestStories260K, "test_stories260k")
#include "test_stories260k.moc"
