// The workbench's Playground, offscreen, driven by the real engine: two panes
// stream continuations equal to the generate job's own; the panes offer the
// runs database's quantize settings and finetune adapters; a model whose
// tokenizer files hold a chat template is prompted through it (the panes show
// the rendered template, the ids are apply_chat_template's), one without or
// with a broken template says why "Chat template" is off.
#include "support/test_support.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>

#include "main_window.h"
#include "playground_view.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace fs = std::filesystem;

class TestPlayground : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

  // The tiny LLaMA fixture with tokenizer files that name BOS/EOS and, when
  // `chat_template` is not empty, carry it as chat_template.jinja.
  QString tiny_with_template(const std::string& name, const std::string& chat_template) {
    const fs::path dir = fs::path(tmp_.path().toStdString()) / name;
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(irq::test::fixtures() / "tiny_llama"))
      fs::copy_file(e.path(), dir / e.path().filename(), fs::copy_options::overwrite_existing);
    irq::test::write_file(dir / "tokenizer_config.json", R"({"tokenizer_class": "LlamaTokenizer", "legacy": false, "bos_token": "<s>", "eos_token": "</s>"})");
    if (!chat_template.empty()) irq::test::write_file(dir / "chat_template.jinja", chat_template);
    return QString::fromStdString(dir.string());
  }

 private Q_SLOTS:
  void initTestCase() { irq::test::isolate_user_state(tmp_.path()); }

  // Playground: both panes stream a continuation; pane A's text is the
  // generate job's own (greedy, as stored), pane B's comes from the NF4 base.
  // The panes offer what the runs database holds: a quantize run's exact
  // setting as a base, a finetune run's adapter.
  void playground_offers_recorded_runs() {
    const QString db = tmp_.path() + "/runs_recorded.sqlite";
    const QString tiny = QString::fromStdString((irq::test::fixtures() / "tiny_llama").string());
    auto cli = [](const QStringList& args) {
      QProcess p;
      p.start(IRQ_CLI, args);
      return p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    };
    QVERIFY(cli({"quantize", tiny, "--method", "int4", "--group", "32", "--lambda", "0.2", "--n", "20", "--device", "cpu", "--db", db}));
    QVERIFY(cli({"finetune", tiny, "--data", QString::fromStdString((irq::test::fixtures() / "alpaca_tiny.json").string()), "--steps",
                 "2", "--rank", "4", "--quant", "nf4", "--device", "cpu", "--db", db, "--out", tmp_.path() + "/pg-ft"}));
    irq::ui::MainWindow w;
    w.set_db_path(db);
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(tiny);
    QVERIFY(loaded.wait(60000));
    auto* p = w.playground();
    const int base = p->base_box(1)->findData("run:1");
    QVERIFY2(base >= 0, "the quantize run is not offered as a base");
    QVERIFY2(p->base_box(1)->itemText(base).contains("lambda 0.2"), qPrintable(p->base_box(1)->itemText(base)));
    p->base_box(1)->setCurrentIndex(base);
    const auto settings = p->request(1).model.settings;
    QVERIFY(settings.has_value());
    QCOMPARE(QString::fromStdString(settings->method), QString("int4"));
    QCOMPARE(settings->block_size, int64_t{32});
    QCOMPARE(settings->lambda, 0.2);
    QCOMPARE(settings->n, int64_t{20});
    QCOMPARE(p->adapter_run_box(0)->count(), 2);  // the prompt to choose, the finetune run
    p->base_box(0)->setCurrentIndex(p->base_box(0)->findData("nf4"));
    p->adapter_run_box(0)->setCurrentIndex(1);
    QCOMPARE(p->adapter_edit(0)->text(), tmp_.path() + "/pg-ft/adapter");
    QCOMPARE(p->base_box(0)->currentIndex(), 0);  // as stored: the adapter rebuilds its base
    p->prompt_edit()->setPlainText("Once upon a time");
    p->max_tokens_box()->setValue(8);
    QSignalSpy done(p, &irq::ui::PlaygroundView::finished);
    QVERIFY(p->start());
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    QVERIFY(p->outcome(0).new_tokens > 0);
    QVERIFY(p->outcome(1).new_tokens > 0);
  }

  void playground_streams_two_panes() {
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/runs_pg.sqlite");
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(QString::fromStdString((irq::test::fixtures() / "tiny_llama").string()));
    QVERIFY(loaded.wait(60000));
    auto* p = w.playground();
    p->prompt_edit()->setPlainText("the robot");
    p->max_tokens_box()->setValue(12);
    QSignalSpy done(p, &irq::ui::PlaygroundView::finished);
    QVERIFY(p->start());
    QVERIFY(!p->start());  // one run at a time
    QVERIFY(done.wait(60000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    const auto direct = irq::run_generate(p->request(0));
    QCOMPARE(p->outcome(0).text, direct.text);
    QCOMPARE(p->output(0), QString::fromStdString(p->request(0).prompt + direct.text));
    QVERIFY(p->outcome(0).new_tokens > 0 && p->outcome(0).new_tokens <= 12);
    QVERIFY(p->outcome(1).new_tokens > 0);
    QCOMPARE(p->request(1).model.quant, std::string("nf4"));
    QCOMPARE(p->output(1), QString::fromStdString(p->request(1).prompt + p->outcome(1).text));
    if (const char* dir = std::getenv("IRQ_SCREENSHOT_DIR")) {
      w.resize(1280, 800);
      w.tabs()->setCurrentWidget(p);
      QCoreApplication::processEvents();
      w.grab().save(QString(dir) + "/playground.png");
    }
  }

  // TinyLlama-chat's template (tests/fixtures/chat_templates): the panes start
  // with its rendering, the job encodes what apply_chat_template encodes.
  void playground_prompts_through_the_chat_template() {
    const std::string text = irq::test::read_file(irq::test::fixtures() / "chat_templates" / "tinyllama_chat.jinja");
    const QString dir = tiny_with_template("chat_model", text);
    irq::ui::MainWindow w;
    w.set_db_path(tmp_.path() + "/runs_chat.sqlite");
    QSignalSpy loaded(&w, &irq::ui::MainWindow::model_loaded);
    w.open_model(dir);
    QVERIFY(loaded.wait(60000));
    auto* p = w.playground();
    QVERIFY(p->chat_box()->isEnabled());
    QVERIFY(p->chat_box()->isChecked());
    QVERIFY2(p->chat_box()->toolTip().contains("chat_template.jinja"), qPrintable(p->chat_box()->toolTip()));
    QVERIFY(p->system_edit()->isEnabled());
    p->prompt_edit()->setPlainText("the robot");
    p->system_edit()->setText("Be brief.");
    p->max_tokens_box()->setValue(4);
    p->compare_box()->setChecked(false);
    const auto r = p->request(0);
    QVERIFY(r.chat);
    QCOMPARE(r.system, std::string("Be brief."));
    const std::string rendered = "<|system|>\nBe brief.</s>\n<|user|>\nthe robot</s>\n<|assistant|>\n";
    QSignalSpy done(p, &irq::ui::PlaygroundView::finished);
    QVERIFY(p->start());
    QCOMPARE(p->output(0).left(static_cast<int>(rendered.size())), QString::fromStdString(rendered));  // shown at once
    QVERIFY(done.wait(60000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    const auto& o = p->outcome(0);
    QCOMPARE(o.rendered_prompt, rendered);
    const auto tok = irq::open_tokenizer(dir.toStdString());
    const auto ids = irq::ChatTemplate::from_directory(dir.toStdString())->encode(*tok, {{"system", "Be brief."}, {"user", "the robot"}}, true);
    QCOMPARE(o.prompt_tokens, static_cast<int64_t>(ids.size()));
    QCOMPARE(std::count(ids.begin(), ids.end(), tok->eos_id()), std::ptrdiff_t{2});  // "</s>" in the text is the EOS token
    QCOMPARE(p->output(0), QString::fromStdString(rendered + o.text));
    const auto direct = irq::run_generate(r);
    QCOMPARE(o.text, direct.text);

    p->chat_box()->setChecked(false);  // the plain prompt again; a system message is then refused
    QVERIFY(!p->system_edit()->isEnabled());
    QVERIFY(!p->request(0).chat);
    auto plain = p->request(0);
    plain.system = "x";
    QCOMPARE(irq::validate(plain).size(), size_t{1});
  }

  void playground_says_why_there_is_no_chat_template() {
    irq::ui::PlaygroundView p(nullptr);
    p.set_model_dir(tiny_with_template("no_template", ""));
    QVERIFY(!p.chat_box()->isEnabled());
    QVERIFY(!p.chat_box()->isChecked());
    QVERIFY(!p.request(0).chat);
    QVERIFY2(p.chat_box()->toolTip().contains("no chat template"), qPrintable(p.chat_box()->toolTip()));
    p.set_model_dir(tiny_with_template("broken_template", "{% for m in messages %}{{ m.content }}"));
    QVERIFY(!p.chat_box()->isEnabled());
    QVERIFY2(p.chat_box()->toolTip().contains("chat_template.jinja: line 1"), qPrintable(p.chat_box()->toolTip()));
    p.set_model_dir(tiny_with_template("chat_model_2", "{{ messages[0].content }}!"));  // a good one again
    QVERIFY(p.chat_box()->isEnabled());
    QVERIFY(p.request(0).chat);
  }
};

IRQ_TEST_CASE(TestPlayground, "test_playground")
#include "test_playground.moc"
