// Chat templates against transformers' own Jinja environment: goldens made by
// scripts/checks/chat_template_goldens.py (transformers 5 / jinja2 3.1) of
// nine real model families' templates over eight conversations (tools,
// thinking, unicode, refused role orders), 48 single-behaviour templates
// (whitespace control, scoping, loops, filters, tests, methods, macros,
// errors), and apply_chat_template(tokenize=True) ids on four tokenizer.json
// fixtures and one tokenizer.model; plus where a directory's template is found and the errors of
// broken ones, each naming the file and line.
#include "support/test_support.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "text/chat_template.h"
#include "text/jinja/template.h"
#include "text/tokenizer.h"

using irq::ChatMessage;
using irq::ChatTemplate;
using irq::ErrorKind;
namespace fs = std::filesystem;
namespace jinja = irq::jinja;

namespace {

fs::path templates_dir() { return irq::test::fixtures() / "chat_templates"; }

nlohmann::ordered_json goldens() {
  return nlohmann::ordered_json::parse(irq::test::read_file(templates_dir() / "goldens.json"));
}

jinja::ValueDict variables_of(const nlohmann::ordered_json& vars) {
  jinja::ValueDict out;
  for (auto it = vars.begin(); it != vars.end(); ++it) out.emplace_back(it.key(), jinja::Value::from_json(it.value()));
  return out;
}

std::vector<ChatMessage> messages_of(const nlohmann::ordered_json& list) {
  std::vector<ChatMessage> out;
  for (const auto& m : list) out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  return out;
}

// Where two renders part, for a readable failure.
QString first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  const auto around = [&](const std::string& s) { return QString::fromStdString(s.substr(i < 20 ? 0 : i - 20, 60)); };
  return QString("differ at byte %1: got \"%2\" want \"%3\"").arg(i).arg(around(got), around(want));
}

}  // namespace

class TestChatTemplate : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path tmp() { return tmp_.path().toStdString(); }

  // Renders `text` and compares with the golden entry (expected text or an error).
  void check_render(const std::string& text, const std::string& name, const nlohmann::ordered_json& entry) {
    std::string got, error;
    try {
      got = jinja::Template(text, name).render(variables_of(entry.at("variables")));
    } catch (const irq::Error& e) {
      error = e.what();
    }
    if (entry.contains("error")) {
      if (error.empty()) QFAIL(qPrintable(QString::fromStdString(name + ": rendered, jinja2 raised " + entry["error"].get<std::string>())));
      if (error.find(name + ": line ") != 0) QFAIL(qPrintable(QString::fromStdString("error does not name the template and line: " + error)));
      return;
    }
    if (!error.empty()) QFAIL(qPrintable(QString::fromStdString(name + ": " + error)));
    const std::string want = entry.at("expected").get<std::string>();
    if (got != want) QFAIL(qPrintable(QString::fromStdString(name + ": ") + first_difference(got, want)));
  }

 private Q_SLOTS:
  void features_match_jinja2() {
    const auto g = goldens();
    QCOMPARE(g.at("features").size(), size_t{50});
    for (const auto& f : g.at("features")) check_render(f.at("template").get<std::string>(), f.at("name").get<std::string>(), f);
  }

  void model_templates_match_jinja2() {
    const auto g = goldens();
    size_t rendered = 0, refused = 0;
    for (const auto& r : g.at("renders")) {
      const std::string name = r.at("template").get<std::string>();
      const std::string label = name + "/" + r.at("conversation").get<std::string>() +
                                (r.at("variables").at("add_generation_prompt").get<bool>() ? "+gen" : "");
      check_render(irq::test::read_file(templates_dir() / (name + ".jinja")), label, r);
      ++(r.contains("error") ? refused : rendered);
    }
    qInfo("%zu renders equal to jinja2's, %zu refused as jinja2 refuses them", rendered, refused);
    QCOMPARE(rendered + refused, size_t{144});
    QVERIFY(refused > 0);
  }

  void template_refusal_keeps_its_message() {
    const std::string text = irq::test::read_file(templates_dir() / "gemma.jinja");
    jinja::Template t(text, "gemma.jinja");
    const jinja::ValueDict vars{{"messages", jinja::Value::list({jinja::Value::dict({{"role", jinja::Value::string("system")},
                                                                                    {"content", jinja::Value::string("x")}})})}};
    QVERIFY(irq::test::throws_error([&] { t.render(vars); }, ErrorKind::kInvalidInput,
                                    {"gemma.jinja: line 1: the template refused: System role not supported"}));
  }

  // render() and encode() through the public API on the tokenizer fixtures:
  // the template found in the directory, special tokens from its config.
  void encodes_as_apply_chat_template() {
    const auto g = goldens();
    QVERIFY(g.at("ids").size() >= 40);
    for (const auto& e : g.at("ids")) {
      const std::string tok_name = e.at("tokenizer").get<std::string>();  // a folder of tests/fixtures
      std::string dir_name = "ids_" + tok_name + "_" + e.at("template").get<std::string>();
      std::replace(dir_name.begin(), dir_name.end(), '/', '_');
      const fs::path dir = tmp() / dir_name;
      if (!fs::exists(dir)) {
        fs::create_directories(dir);
        for (const char* f : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json"})
          if (fs::exists(irq::test::fixtures() / tok_name / f)) fs::copy_file(irq::test::fixtures() / tok_name / f, dir / f);
        if (!e.at("tokenizer_config").is_null()) irq::test::write_file(dir / "tokenizer_config.json", e["tokenizer_config"].dump());
        fs::copy_file(templates_dir() / (e.at("template").get<std::string>() + ".jinja"), dir / "chat_template.jinja");
      }
      const auto chat = ChatTemplate::from_directory(dir);
      QVERIFY(chat.has_value());
      const auto tokenizer = irq::open_tokenizer(dir);
      const auto messages = messages_of(e.at("messages"));
      const bool gen = e.at("add_generation_prompt").get<bool>();
      const std::string label = tok_name + "/" + e.at("conversation").get<std::string>();
      const std::string text = chat->render(messages, gen);
      if (text != e.at("text").get<std::string>())
        QFAIL(qPrintable(QString::fromStdString(label + ": ") + first_difference(text, e.at("text").get<std::string>())));
      if (chat->encode(*tokenizer, messages, gen) != e.at("ids").get<std::vector<int64_t>>())
        QFAIL(qPrintable(QString::fromStdString(label + ": ids differ from apply_chat_template")));
    }
  }

  void finds_the_template_where_transformers_does() {
    const fs::path dir = tmp() / "where";
    fs::create_directories(dir);
    QVERIFY(!ChatTemplate::from_directory(dir).has_value());  // no config, no file
    irq::test::write_file(dir / "tokenizer_config.json",
                          R"({"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                              "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"})");
    auto chat = ChatTemplate::from_directory(dir);
    QVERIFY(chat.has_value());
    QCOMPARE(chat->render({{"user", "hi"}}, true), std::string("<s>hi</s>"));
    QCOMPARE(chat->source(), (dir / "tokenizer_config.json").string() + ": chat_template");

    irq::test::write_file(dir / "tokenizer_config.json",
                          R"({"eos_token": "E", "chat_template": [{"name": "tool_use", "template": "T"},
                                                                   {"name": "default", "template": "D{{ eos_token }}"}]})");
    QCOMPARE(ChatTemplate::from_directory(dir)->render({}, false), std::string("DE"));

    irq::test::write_file(dir / "chat_template.jinja", "J{{ messages | length }}");  // the file wins
    QCOMPARE(ChatTemplate::from_directory(dir)->render({{"user", "a"}, {"assistant", "b"}}, false), std::string("J2"));
    fs::remove(dir / "chat_template.jinja");

    irq::test::write_file(dir / "special_tokens_map.json", R"({"bos_token": "<B>"})");  // used when the config has none
    irq::test::write_file(dir / "tokenizer_config.json", R"({"chat_template": "{{ bos_token }}!"})");
    QCOMPARE(ChatTemplate::from_directory(dir)->render({}, false), std::string("<B>!"));
  }

  void broken_templates_name_file_and_line() {
    const fs::path dir = tmp() / "broken";
    fs::create_directories(dir);
    const std::string file = (dir / "chat_template.jinja").string();
    const auto opens = [&](const std::string& text) {
      irq::test::write_file(dir / "chat_template.jinja", text);
      return [dir] { ChatTemplate::from_directory(dir); };
    };
    QVERIFY(irq::test::throws_error(opens("ok\n{% if x %}\nno end"), ErrorKind::kInvalidInput, {file, "expected elif or else or endif"}));
    QVERIFY(irq::test::throws_error(opens("a\n\n{{ x | shout }}"), ErrorKind::kInvalidInput, {file + ": line 3: no filter named 'shout'"}));
    QVERIFY(irq::test::throws_error(opens("{% include 'x' %}"), ErrorKind::kInvalidInput, {file + ": line 1: unknown tag 'include'"}));
    QVERIFY(irq::test::throws_error(opens("{% endfor %}"), ErrorKind::kInvalidInput, {"'endfor' closes no open block"}));
    QVERIFY(irq::test::throws_error(opens("{{ 'open }}"), ErrorKind::kInvalidInput, {file + ": line 1: string opened here is never closed"}));
    QVERIFY(irq::test::throws_error(opens("x {# note"), ErrorKind::kInvalidInput, {"comment opened here is never closed"}));
    QVERIFY(irq::test::throws_error(opens("{{ x is loud }}"), ErrorKind::kInvalidInput, {"no test named 'loud'"}));
    QVERIFY(irq::test::throws_error(opens("{{ a ? b }}"), ErrorKind::kInvalidInput, {"unexpected character '?'"}));

    const auto renders = [&](const std::string& text) {
      irq::test::write_file(dir / "chat_template.jinja", text);
      return [dir] { ChatTemplate::from_directory(dir)->render({{"user", "u"}}, true); };
    };
    QVERIFY(irq::test::throws_error(renders("{% break %}"), ErrorKind::kInvalidInput, {file + ": line 1: 'break' outside a loop"}));
    QVERIFY(irq::test::throws_error(renders("\n{{ messages[0].content.nope.deeper }}"), ErrorKind::kInvalidInput,
                                    {file + ": line 2: 'nope' is undefined"}));
    QVERIFY(irq::test::throws_error(renders("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"), ErrorKind::kInvalidInput,
                                    {"macros nested deeper than"}));
    QVERIFY(irq::test::throws_error(renders("{{ messages[0] + 1 }}"), ErrorKind::kInvalidInput,
                                    {"unsupported operand type(s) for +: 'dict' and 'int'"}));

    irq::test::write_file(dir / "chat_template.jinja", "");
    fs::remove(dir / "chat_template.jinja");
    irq::test::write_file(dir / "tokenizer_config.json", R"({"chat_template": 7})");
    QVERIFY(irq::test::throws_error([&] { ChatTemplate::from_directory(dir); }, ErrorKind::kInvalidInput,
                                    {(dir / "tokenizer_config.json").string(), "chat_template is neither a string nor a list"}));
    irq::test::write_file(dir / "tokenizer_config.json", R"({"chat_template": [{"name": "rag", "template": "x"}]})");
    QVERIFY(irq::test::throws_error([&] { ChatTemplate::from_directory(dir); }, ErrorKind::kInvalidInput, {"none named \"default\""}));
  }
};

IRQ_TEST_CASE(TestChatTemplate, "test_chat_template")
#include "test_chat_template.moc"
