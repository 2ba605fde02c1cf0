// The Finetune tab offers what `irqlora finetune` offers, with the same
// defaults (a default FinetuneRequest's, train/train_config.h), the rarely
// changed options folded under "More options"; a run from the form
// checkpoints, evaluates held-out rows on a cosine schedule with the chosen
// targets, and a second run resumes from its checkpoint; wrong options are
// refused with the field's name.
#include "support/test_support.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>

#include <nlohmann/json.hpp>

#include "finetune_options_form.h"
#include "finetune_view.h"
#include "runs/runs_db.h"

namespace fs = std::filesystem;

class TestFinetuneView : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

  // A form on the tiny fixture, data and output set, a small rank.
  void prepare(irq::ui::FinetuneView* f, const QString& out) {
    f->set_model_dir(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    f->set_db_path(tmp_.path() + "/runs.sqlite");
    f->data_edit()->setText(QString::fromStdString((irq::test::fixtures() / "alpaca_tiny.json").string()));
    f->out_edit()->setText(out);
    f->rank_box()->setValue(8);
    f->device_box()->setCurrentIndex(f->device_box()->findData("cpu"));
  }

  bool run(irq::ui::FinetuneView* f) {
    QSignalSpy done(f, &irq::ui::FinetuneView::finished);
    if (!f->start()) return false;
    if (!done.wait(120000)) return false;
    if (!done.at(0).at(0).toBool()) qWarning("%s", qPrintable(done.at(0).at(1).toString()));
    return done.at(0).at(0).toBool();
  }

 private Q_SLOTS:
  void initTestCase() {
    irq::test::isolate_user_state(tmp_.path());
  }

  void defaults_are_the_requests() {
    irq::ui::FinetuneView f(nullptr);
    QVERIFY(!f.options()->expanded());  // folded away until asked for
    const irq::FinetuneRequest d;
    const irq::FinetuneRequest r = f.request();
    QCOMPARE(r.lora.rank, d.lora.rank);
    QCOMPARE(r.lora.rank, int64_t{64});  // the CLI's --rank default, no longer 8 here
    QCOMPARE(r.lora.alpha, d.lora.alpha);
    QCOMPARE(r.lora.iec, d.lora.iec);
    QCOMPARE(r.lora.dropout, d.lora.dropout);
    QCOMPARE(r.lora.targets, d.lora.targets);
    QCOMPARE(r.train.steps, d.train.steps);
    QCOMPARE(r.train.batch, d.train.batch);
    QCOMPARE(r.train.accum, d.train.accum);
    QCOMPARE(r.train.lr, d.train.lr);
    QCOMPARE(r.train.schedule, d.train.schedule);
    QCOMPARE(r.train.warmup_ratio, d.train.warmup_ratio);
    QCOMPARE(r.train.max_grad_norm, d.train.max_grad_norm);
    QCOMPARE(r.train.source_max_len, d.train.source_max_len);
    QCOMPARE(r.train.target_max_len, d.train.target_max_len);
    QCOMPARE(r.train.seed, d.train.seed);
    QCOMPARE(r.train.gradient_checkpointing, d.train.gradient_checkpointing);
    QCOMPARE(r.train.optimizer_offload, d.train.optimizer_offload);
    QCOMPARE(r.holdout, d.holdout);
    QCOMPARE(r.eval_rows, d.eval_rows);
    QCOMPARE(r.eval_every, d.eval_every);
    QCOMPARE(r.save_every, d.save_every);
    QCOMPARE(r.resume, d.resume);
    QCOMPARE(r.tf32, d.tf32);
    QCOMPARE(r.dtype, d.dtype);
    QCOMPARE(r.quant_group, d.quant_group);
    QCOMPARE(r.icq, d.icq);
    QCOMPARE(r.front_end, std::string("workbench"));
  }

  void refuses_wrong_options_by_field() {
    irq::ui::FinetuneView f(nullptr);
    prepare(&f, tmp_.path() + "/refused");
    auto* o = f.options();
    o->targets_edit()->setText("q,x");
    o->eval_every_box()->setValue(2);  // without held-out rows
    QVERIFY(!f.start());
    QVERIFY2(f.message().contains("lora.targets: target module 'x' is not a decoder projection"), qPrintable(f.message()));
    QVERIFY2(f.message().contains("eval_every: needs held-out rows"), qPrintable(f.message()));
  }

  void trains_with_the_folded_options_then_resumes() {
    irq::ui::FinetuneView f(nullptr);
    const QString out = tmp_.path() + "/ft-options";
    prepare(&f, out);
    f.quant_box()->setCurrentIndex(f.quant_box()->findData("nf4"));
    f.steps_box()->setValue(4);
    f.lr_box()->setValue(5e-3);
    auto* o = f.options();
    o->set_expanded(true);
    o->schedule_box()->setCurrentIndex(o->schedule_box()->findData("cosine"));
    o->warmup_box()->setValue(0.25);
    o->targets_edit()->setText("q,v");
    o->dropout_box()->setValue(0.1);
    o->target_len_box()->setValue(64);
    o->holdout_box()->setValue(4);
    o->eval_every_box()->setValue(2);
    o->save_every_box()->setValue(2);
    QVERIFY(run(&f));
    if (const char* dir = std::getenv("IRQ_SCREENSHOT_DIR")) {  // the unfolded form at the window's usual size
      f.resize(1280, 800);
      QCoreApplication::processEvents();
      f.grab().save(QString(dir) + "/finetune_options.png");
    }
    QCOMPARE(static_cast<int>(f.points().size()), 4);
    QVERIFY(fs::exists(fs::path(out.toStdString()) / "checkpoint-2"));
    QVERIFY(fs::exists(fs::path(out.toStdString()) / "checkpoint-4"));
    irq::RunsDb db((tmp_.path() + "/runs.sqlite").toStdString());
    const auto runs = db.list();
    QCOMPARE(runs.size(), size_t{1});
    const auto config = nlohmann::json::parse(runs[0].config_json);
    QCOMPARE(config.at("schedule").get<std::string>(), std::string("cosine"));
    QCOMPARE(config.at("warmup_ratio").get<double>(), 0.25);
    QCOMPARE(config.at("targets").get<std::vector<std::string>>(), (std::vector<std::string>{"q_proj", "v_proj"}));
    QCOMPARE(config.at("lora_dropout").get<double>(), 0.1);
    QCOMPARE(config.at("target_max_len").get<int64_t>(), int64_t{64});
    QCOMPARE(config.at("holdout").get<int64_t>(), int64_t{4});
    QCOMPARE(config.at("front_end").get<std::string>(), std::string("workbench"));
    std::vector<int64_t> eval_steps;
    for (const auto& m : db.metrics(runs[0].id))
      if (m.name == "eval_loss") eval_steps.push_back(m.step);
    QCOMPARE(eval_steps, (std::vector<int64_t>{2, 4}));
    // The lr follows the cosine schedule with warmup: step 1 is the warmup's
    // first quarter of the peak, the last step below the peak.
    QVERIFY(f.points().front().lr < 5e-3 && f.points().back().lr < 5e-3);

    // Resume: two more steps from checkpoint-4.
    f.steps_box()->setValue(6);
    o->resume_box()->setChecked(true);
    QVERIFY(run(&f));
    QCOMPARE(static_cast<int>(f.points().size()), 2);
    QCOMPARE(f.points().front().step, int64_t{5});
    QVERIFY(fs::exists(fs::path(out.toStdString()) / "adapter" / "adapter_model.safetensors"));
    QCOMPARE(db.list().size(), size_t{2});
  }
};

IRQ_TEST_CASE(TestFinetuneView, "test_finetune_view")
#include "test_finetune_view.moc"
