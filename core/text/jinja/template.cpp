// Rendering a parsed chat template: statements, expressions, scopes, loops
// and macros with Jinja2's semantics (see template.h).
#include "text/jinja/template.h"

#include <unordered_map>

#include "common/error.h"
#include "text/jinja/builtins.h"
#include "text/jinja/lexer.h"
#include "text/jinja/parser.h"

namespace irq::jinja {

namespace {

constexpr int kMaxCallDepth = 200;       // macros calling macros: a template bug, not a stack overflow
constexpr size_t kMaxOutputBytes = 64u << 20;  // a runaway loop stops here
constexpr int64_t kMaxIterations = 1000000;     // loop iterations and macro calls of one render: chat templates make hundreds

using Scope = std::unordered_map<std::string, Value>;

// One render. An error ends it (Template::render adds the line and throws):
// the renderer is never used again after one, so its scopes, output and
// depths are restored on the normal path only.
class Renderer {
 public:
  explicit Renderer(const ValueDict& variables) {
    scopes_.emplace_back();
    for (const auto& [k, v] : variables) scopes_.back()[k] = v;
  }
  int line() const { return line_; }

  std::string run(const Body& body) {
    std::string out;
    out_ = &out;
    exec(body);
    return out;
  }

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end()) return found->second;
    }
    Value g = global(name);
    return g.is_undefined() ? Value::undefined(name) : g;
  }
  void assign(const std::string& name, Value v) { scopes_.back()[name] = std::move(v); }
  void count_iteration() {
    if (++iterations_ > kMaxIterations)
      throw EvalError("the template ran more than " + std::to_string(kMaxIterations) + " loop iterations and macro calls");
  }

  void write(const std::string& s) {
    *out_ += s;
    if (out_->size() > kMaxOutputBytes) throw EvalError("the output passed " + std::to_string(kMaxOutputBytes >> 20) + " MiB");
  }

  Flow exec(const Body& body) {
    for (const auto& s : body) {
      const Flow f = exec(*s);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  Flow exec(const Stmt& s) {
    line_ = s.line;
    switch (s.kind) {
      case Stmt::Kind::kText: write(s.text); return Flow::kNormal;
      case Stmt::Kind::kOutput: write(eval(*s.expr).str()); return Flow::kNormal;
      case Stmt::Kind::kIf:
        for (const auto& [cond, body] : s.branches)
          if (eval(*cond).truthy()) return exec(body);
        return exec(s.else_body);
      case Stmt::Kind::kFor: return exec_for(s);
      case Stmt::Kind::kSet: exec_set(s); return Flow::kNormal;
      case Stmt::Kind::kMacro: define_macro(s); return Flow::kNormal;
      case Stmt::Kind::kBreak:
        if (loop_depth_ == 0) throw EvalError("'break' outside a loop");
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        if (loop_depth_ == 0) throw EvalError("'continue' outside a loop");
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  void bind_targets(const std::vector<std::string>& targets, const Value& v, Scope* scope) {
    if (targets.size() == 1) {
      (*scope)[targets[0]] = v;
      return;
    }
    const ValueList parts = iterate(v);
    if (parts.size() != targets.size())
      throw EvalError("cannot unpack " + std::to_string(parts.size()) + " values into " + std::to_string(targets.size()) + " names");
    for (size_t i = 0; i < targets.size(); ++i) (*scope)[targets[i]] = parts[i];
  }

  Flow exec_for(const Stmt& s) {
    const ValueList all = iterate(eval(*s.expr));
    ValueList items;
    if (s.filter) {  // `for x in xs if cond`: the filter runs first, loop.* counts what passes
      for (const Value& v : all) {
        count_iteration();
        scopes_.emplace_back();
        bind_targets(s.targets, v, &scopes_.back());
        const bool keep = eval(*s.filter).truthy();
        scopes_.pop_back();
        if (keep) items.push_back(v);
      }
    } else {
      items = all;
    }
    if (items.empty()) return exec(s.else_body);
    const int64_t n = static_cast<int64_t>(items.size());
    ++loop_depth_;
    for (int64_t i = 0; i < n; ++i) {
      count_iteration();
      scopes_.emplace_back();  // every iteration starts from the enclosing scope, as in Jinja2
      Scope& scope = scopes_.back();
      bind_targets(s.targets, items[static_cast<size_t>(i)], &scope);
      ValueList cycle_items;
      scope["loop"] = Value::dict({
          {"index", Value::integer(i + 1)},
          {"index0", Value::integer(i)},
          {"revindex", Value::integer(n - i)},
          {"revindex0", Value::integer(n - i - 1)},
          {"first", Value::boolean(i == 0)},
          {"last", Value::boolean(i == n - 1)},
          {"length", Value::integer(n)},
          {"depth", Value::integer(1)},
          {"depth0", Value::integer(0)},
          {"previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("loop.previtem")},
          {"nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("loop.nextitem")},
          {"cycle", Value::function([i](const CallArgs& a) {
             if (a.positional.empty()) throw EvalError("no items for cycling given");
             return a.positional[static_cast<size_t>(i) % a.positional.size()];
           })},
      });
      const Flow f = exec(s.body);
      scopes_.pop_back();
      if (f == Flow::kBreak) break;
    }
    --loop_depth_;
    return Flow::kNormal;
  }

  void exec_set(const Stmt& s) {
    Value v;
    if (s.expr) {
      v = eval(*s.expr);
    } else {  // {% set x %}...{% endset %}
      std::string captured;
      std::string* saved = out_;
      out_ = &captured;
      exec(s.body);
      out_ = saved;
      v = Value::string(captured);
    }
    if (!s.text.empty()) {  // set ns.attr = v
      const Value target = lookup(s.targets[0]);
      if (target.kind() != Value::Kind::kNamespace)
        throw EvalError("cannot assign attribute on non-namespace object '" + s.targets[0] + "'");
      if (s.text[0] == '_') throw EvalError("namespace attributes cannot start with '_': " + s.text);
      auto& entries = target.mutable_entries();
      for (auto& [k, old] : entries)
        if (k == s.text) {
          old = v;
          return;
        }
      entries.emplace_back(s.text, v);
      return;
    }
    bind_targets(s.targets, v, &scopes_.back());
  }

  void define_macro(const Stmt& s) {
    const Stmt* macro = &s;
    assign(s.text, Value::function([this, macro](const CallArgs& a) -> Value {
      count_iteration();
      if (++call_depth_ > kMaxCallDepth) throw EvalError("macros nested deeper than " + std::to_string(kMaxCallDepth));
      Scope scope;
      if (a.positional.size() > macro->params.size())
        throw EvalError("macro '" + macro->text + "' takes " + std::to_string(macro->params.size()) + " arguments, " +
                        std::to_string(a.positional.size()) + " given");
      for (size_t i = 0; i < macro->params.size(); ++i) {
        const auto& [name, def] = macro->params[i];
        const Value& given = call_arg(a, i, name.c_str(), Value());
        scope[name] = !given.is_undefined() ? given : def ? eval(*def) : Value::undefined(name);
      }
      // A macro sees its arguments and the template's top level, not the caller's loop variables.
      std::vector<Scope> saved_scopes{scopes_[0], std::move(scope)};
      std::swap(saved_scopes, scopes_);
      std::string captured;
      std::string* saved_out = out_;
      out_ = &captured;
      const int saved_depth = loop_depth_;
      loop_depth_ = 0;
      exec(macro->body);
      std::swap(saved_scopes, scopes_);
      out_ = saved_out;
      loop_depth_ = saved_depth;
      --call_depth_;
      return Value::string(captured);
    }));
  }

  CallArgs eval_args(const Expr& e) {
    CallArgs a;
    for (const auto& x : e.args) a.positional.push_back(eval(*x));
    for (const auto& [k, x] : e.named) a.named.emplace_back(k, eval(*x));
    return a;
  }

  Value eval(const Expr& e) {
    line_ = e.line;
    switch (e.kind) {
      case Expr::Kind::kLiteral: return e.value;
      case Expr::Kind::kName: return lookup(e.name);
      case Expr::Kind::kList: {
        ValueList items;
        for (const auto& x : e.args) items.push_back(eval(*x));
        return e.tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
      }
      case Expr::Kind::kDict: {
        ValueDict entries;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          const Value key = eval(*e.args[i]);
          if (!key.is_string()) throw EvalError("dict keys in a template must be strings, not " + key.type_name());
          Value v = eval(*e.args[i + 1]);
          auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& p) { return p.first == key.str_ref(); });
          if (it != entries.end()) it->second = std::move(v);
          else entries.emplace_back(key.str_ref(), std::move(v));
        }
        return Value::dict(std::move(entries));
      }
      case Expr::Kind::kAttr: {
        const Value obj = eval(*e.a);
        line_ = e.line;
        return get_attribute(obj, e.name);
      }
      case Expr::Kind::kItem: {
        const Value obj = eval(*e.a);
        const Value key = eval(*e.b);
        line_ = e.line;
        return get_item(obj, key);
      }
      case Expr::Kind::kSlice: {
        const Value obj = eval(*e.a);
        const Value b = e.b ? eval(*e.b) : Value::none();
        const Value c = e.c ? eval(*e.c) : Value::none();
        const Value d = e.d ? eval(*e.d) : Value::none();
        line_ = e.line;
        return slice(obj, b, c, d);
      }
      case Expr::Kind::kCall: {
        const Value f = eval(*e.a);
        const CallArgs a = eval_args(e);
        line_ = e.line;
        if (f.kind() != Value::Kind::kFunction) {
          if (f.is_undefined()) throw EvalError("'" + f.str_ref() + "' is undefined");
          throw EvalError("'" + f.type_name() + "' object is not callable");
        }
        return f.callable()(a);
      }
      case Expr::Kind::kFilter: {
        const Value v = eval(*e.a);
        const CallArgs a = eval_args(e);
        line_ = e.line;
        return apply_filter(e.name, v, a);
      }
      case Expr::Kind::kTest: {
        const Value v = eval(*e.a);
        const CallArgs a = eval_args(e);
        line_ = e.line;
        return Value::boolean(apply_test(e.name, v, a) != e.negated);
      }
      case Expr::Kind::kUnary: {
        const Value v = eval(*e.a);
        line_ = e.line;
        if (e.name == "not") return Value::boolean(!v.truthy());
        if (!v.is_number()) throw EvalError("bad operand type for unary " + e.name + ": '" + v.type_name() + "'");
        if (e.name == "+") return v.kind() == Value::Kind::kBool ? Value::integer(v.as_int()) : v;
        if (v.kind() == Value::Kind::kFloat) return Value::number(-v.as_double());
        if (v.as_int() == INT64_MIN) throw EvalError("integer overflow (the result does not fit in 64 bits)");
        return Value::integer(-v.as_int());
      }
      case Expr::Kind::kBinary: {
        const Value a = eval(*e.a);
        if (e.name == "and") return a.truthy() ? eval(*e.b) : a;
        if (e.name == "or") return a.truthy() ? a : eval(*e.b);
        const Value b = eval(*e.b);
        line_ = e.line;
        if (e.name == "==") return Value::boolean(a == b);
        if (e.name == "!=") return Value::boolean(a != b);
        if (e.name == "not in") return Value::boolean(!binary_op("in", a, b).as_bool());
        return binary_op(e.name, a, b);
      }
      case Expr::Kind::kCond: {
        if (eval(*e.b).truthy()) return eval(*e.a);
        return e.c ? eval(*e.c) : Value::undefined("the else branch");
      }
    }
    return Value();
  }

  std::vector<Scope> scopes_;
  std::string* out_ = nullptr;
  int line_ = 0, loop_depth_ = 0, call_depth_ = 0;
  int64_t iterations_ = 0;
};

}  // namespace

namespace {

// What Jinja2's lexer does to a source first: \r\n and \r become \n, and one
// trailing newline goes (keep_trailing_newline is off).
std::string normalize_newlines(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

Template::Template(const std::string& text, std::string source)
    : source_(std::move(source)),
      body_(std::make_shared<const Body>(parse(tokenize(normalize_newlines(text), source_), source_))) {}

std::string Template::render(const ValueDict& variables) const {
  Renderer r(variables);
  try {
    return r.run(*body_);
  } catch (const RaisedError& e) {
    throw make_error(ErrorKind::kInvalidInput, source_, "line " + std::to_string(r.line()) + ": the template refused: " + e.what());
  } catch (const EvalError& e) {
    throw make_error(ErrorKind::kInvalidInput, source_, "line " + std::to_string(r.line()) + ": " + e.what());
  }
}

}  // namespace irq::jinja
