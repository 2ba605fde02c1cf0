// The reference protocol pieces of finetuning: numpy's default_rng
// permutation (golden values printed by numpy 1.24), the held-out split of
// datasets' train_test_split, the recipes' settings, and LoRA dropout on the
// input of lora_A only (the IEC group-mean path reads the undropped input).
#include "support/test_support.h"

#include <set>

#include "lora/iec_lora.h"
#include "lora/lora_delta.h"
#include "train/holdout.h"
#include "train/numpy_permutation.h"
#include "train/recipe.h"

using irq::ErrorKind;

namespace {

// Float32 agreement of two ways to compute one LoRA update.
constexpr double kDeltaTol = 1e-5;

}  // namespace

class TestRecipe : public QObject {
  Q_OBJECT

 private slots:
  void numpy_permutation_matches_numpy() {
    // python3 -c "import numpy as np; print(list(np.random.default_rng(42).permutation(10)))"
    QCOMPARE(irq::numpy_permutation(42, 10), (std::vector<int64_t>{5, 6, 0, 7, 3, 2, 4, 9, 1, 8}));
    QCOMPARE(irq::numpy_permutation(0, 7), (std::vector<int64_t>{2, 4, 3, 6, 5, 0, 1}));
    QCOMPARE(irq::numpy_permutation((1ULL << 40) + 7, 9), (std::vector<int64_t>{2, 7, 8, 6, 3, 4, 1, 5, 0}));  // two-word seed
    QCOMPARE(irq::numpy_permutation(0xffffffffULL, 5), (std::vector<int64_t>{0, 4, 3, 2, 1}));
    const auto big = irq::numpy_permutation(1, (1 << 17) + 5);  // past 2^17: masks of more bits
    QCOMPARE(std::vector<int64_t>(big.begin(), big.begin() + 4), (std::vector<int64_t>{91050, 121940, 83309, 9896}));
    // Alpaca's 52002 rows, seed 42 (the reference's held-out split).
    const auto p = irq::numpy_permutation(42, 52002);
    QCOMPARE(std::vector<int64_t>(p.begin(), p.begin() + 8),
             (std::vector<int64_t>{31688, 10899, 13999, 10877, 6746, 36939, 15106, 9382}));
    QCOMPARE(std::vector<int64_t>(p.end() - 4, p.end()), (std::vector<int64_t>{4802, 5668, 22113, 9864}));
    int64_t checksum = 0;  // sum over i of (p[i] * i) % 1000003, as numpy computes it
    for (size_t i = 0; i < p.size(); ++i) checksum += (p[i] * static_cast<int64_t>(i)) % 1000003;
    QCOMPARE(checksum, int64_t{25886770794});
    QVERIFY(irq::numpy_permutation(42, 0).empty());
    QCOMPARE(irq::numpy_permutation(42, 1), (std::vector<int64_t>{0}));
  }

  void holdout_split_is_datasets_train_test_split() {
    const auto s = irq::holdout_split(10, 3, 42, "data.json");
    QCOMPARE(s.eval, (std::vector<size_t>{5, 6, 0}));
    QCOMPARE(s.train, (std::vector<size_t>{7, 3, 2, 4, 9, 1, 8}));
    const auto none = irq::holdout_split(4, 0, 42, "data.json");
    QCOMPARE(none.train, (std::vector<size_t>{0, 1, 2, 3}));
    QVERIFY(none.eval.empty());
    QVERIFY(irq::test::throws_error([] { irq::holdout_split(1024, 1024, 42, "alpaca.json"); }, ErrorKind::kUsage,
                                    {"alpaca.json", "leaves none of its 1024 rows"}));
  }

  void recipes_set_the_reference_values() {
    const auto& ir = irq::find_recipe("ir-qlora");
    std::map<std::string, std::string> v;
    for (const auto& s : ir.settings) {
      QVERIFY2(!s.reference.empty(), s.option.c_str());
      QVERIFY2(v.emplace(s.option, s.value).second, ("set twice: " + s.option).c_str());
    }
    QCOMPARE(v.at("lr"), std::string("2e-4"));
    QCOMPARE(v.at("warmup-ratio"), std::string("0"));
    QCOMPARE(v.at("max-grad-norm"), std::string("0.3"));
    QCOMPARE(v.at("rank"), std::string("64"));
    QCOMPARE(v.at("batch"), std::string("16"));
    QCOMPARE(v.at("holdout"), std::string("1024"));
    QCOMPARE(v.at("lora-dropout"), std::string("0"));
    QCOMPARE(v.at("dtype"), std::string("float32"));
    QVERIFY(v.count("icq") && v.count("iec"));
    std::map<std::string, std::string> q;
    for (const auto& s : irq::find_recipe("qlora").settings) q.emplace(s.option, s.value);
    QCOMPARE(q.at("lora-dropout"), std::string("0.1"));
    QVERIFY(q.count("no-icq") && q.count("no-iec") && !q.count("icq"));
    QVERIFY(irq::test::throws_error([] { irq::find_recipe("guanaco"); }, ErrorKind::kUsage, {"guanaco", "ir-qlora", "qlora"}));
  }

  void lora_dropout_drops_only_the_lora_A_input() {
    torch::manual_seed(3);
    const int64_t r = 4, din = 16, dout = 8;
    auto x = torch::randn({5, din});
    auto A = torch::randn({r, din}), B = torch::randn({dout, r});
    auto ba = torch::tensor(0.7), bb = torch::tensor(-0.4);
    auto G = irq::iec_group_mean_matrix(r, din, torch::TensorOptions()), R = irq::iec_repeat_matrix(r, dout, torch::TensorOptions());
    const double scaling = 2.0, p = 0.5;
    // p -> 0: the fused node.
    const auto fused = irq::lora_delta(x, A, B, ba, bb, G, R, scaling);
    QVERIFY((irq::lora_delta_dropout(x, 0.0, A, B, ba, bb, G, R, scaling) - fused).abs().max().item<double>() < kDeltaTol);
    // The masks of torch::dropout under one seed, applied by hand.
    torch::manual_seed(11);
    const auto got = irq::lora_delta_dropout(x, p, A, B, ba, bb, G, R, scaling);
    torch::manual_seed(11);
    const auto xd = torch::dropout(x, p, /*train=*/true);
    const auto want = ((xd.matmul(A.t()) + ba * x.matmul(G.t())).matmul((B + bb * R).t())) * scaling;
    QVERIFY((got - want).abs().max().item<double>() < kDeltaTol);
    // Dropping the IEC input too would be another function: the test tells them apart.
    const auto both = ((xd.matmul(A.t()) + ba * xd.matmul(G.t())).matmul((B + bb * R).t())) * scaling;
    QVERIFY((got - both).abs().max().item<double>() > 1e-2);
    QVERIFY((got - fused).abs().max().item<double>() > 1e-2);
  }
};

IRQ_TEST_CASE(TestRecipe, "test_recipe")
#include "test_recipe.moc"
