// Jinja2's grammar for chat templates (see parser.h).
#include "text/jinja/parser.h"

#include <initializer_list>

#include "common/error.h"
#include "text/jinja/builtins.h"

namespace irq::jinja {

namespace {

using T = Token::Type;
constexpr int kMaxNesting = 200;  // blocks inside blocks, brackets inside brackets: far past any real template

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const std::string& source) : t_(tokens), source_(source) {}

  Body run() {
    std::string end;
    return statements({}, &end);
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw make_error(ErrorKind::kInvalidInput, source_, "line " + std::to_string(line) + ": " + what);
  }
  const Token& peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  bool at_op(const char* op, size_t ahead = 0) const { return peek(ahead).type == T::kOp && peek(ahead).text == op; }
  bool at_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).type == T::kName && peek(ahead).text == name;
  }
  static std::string describe(const Token& tok) {
    switch (tok.type) {
      case T::kEnd: return "the end of the template";
      case T::kBlockEnd: return "'%}'";
      case T::kVarEnd: return "'}}'";
      case T::kString: return "a string";
      default: return "'" + tok.text + "'";
    }
  }
  void expect_op(const char* op) {
    if (!at_op(op)) fail(peek().line, std::string("expected '") + op + "', found " + describe(peek()));
    next();
  }
  void expect(T type, const char* what) {
    if (peek().type != type) fail(peek().line, std::string("expected ") + what + ", found " + describe(peek()));
    next();
  }
  std::string expect_name() {
    if (peek().type != T::kName) fail(peek().line, "expected a name, found " + describe(peek()));
    return next().text;
  }

  // Statements up to a block tag named in `ends` (consumed up to its name:
  // the caller reads the rest of that tag); `*end` receives the name.
  Body statements(std::initializer_list<const char*> ends, std::string* end) {
    const Nesting nesting(this);
    Body body;
    for (;;) {
      const Token& tok = peek();
      if (tok.type == T::kEnd) {
        if (ends.size() == 0) return body;
        std::string names;
        for (const char* e : ends) names += std::string(names.empty() ? "" : " or ") + e;
        fail(tok.line, "the template ends inside a block: expected " + names);
      }
      if (tok.type == T::kText) {
        auto s = node(Stmt::Kind::kText, tok.line);
        s->text = tok.text;
        body.push_back(std::move(s));
        next();
        continue;
      }
      if (tok.type == T::kVarBegin) {
        next();
        auto s = node(Stmt::Kind::kOutput, tok.line);
        s->expr = expression();
        expect(T::kVarEnd, "'}}'");
        body.push_back(std::move(s));
        continue;
      }
      if (tok.type != T::kBlockBegin) fail(tok.line, "unexpected " + describe(tok));
      const Token& name = peek(1);
      for (const char* e : ends)
        if (name.type == T::kName && name.text == e) {
          next();
          next();
          *end = e;
          return body;
        }
      next();
      statement(&body);
    }
  }

  static StmtPtr node(Stmt::Kind kind, int line) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = line;
    return s;
  }

  void statement(Body* body) {
    const Token& tok = peek();
    if (tok.type != T::kName) fail(tok.line, "expected a tag name, found " + describe(tok));
    const std::string tag = next().text;
    const int line = tok.line;
    std::string end;
    if (tag == "if") {
      auto s = node(Stmt::Kind::kIf, line);
      ExprPtr cond = expression();
      for (;;) {
        expect(T::kBlockEnd, "'%}'");
        Body branch = statements({"elif", "else", "endif"}, &end);
        s->branches.emplace_back(std::move(cond), std::move(branch));
        if (end == "elif") {
          cond = expression();
          continue;
        }
        if (end == "else") {
          expect(T::kBlockEnd, "'%}'");
          s->else_body = statements({"endif"}, &end);
        }
        break;
      }
      expect(T::kBlockEnd, "'%}'");
      body->push_back(std::move(s));
    } else if (tag == "for") {
      auto s = node(Stmt::Kind::kFor, line);
      s->targets.push_back(expect_name());
      while (at_op(",")) {
        next();
        s->targets.push_back(expect_name());
      }
      if (!at_name("in")) fail(peek().line, "expected 'in' in a for tag, found " + describe(peek()));
      next();
      s->expr = or_expr();  // Jinja2: no `x if c` here, so the filter's `if` is seen
      if (at_name("if")) {
        next();
        s->filter = or_expr();
      }
      if (at_name("recursive")) fail(peek().line, "recursive loops are not supported");
      expect(T::kBlockEnd, "'%}'");
      s->body = statements({"else", "endfor"}, &end);
      if (end == "else") {
        expect(T::kBlockEnd, "'%}'");
        s->else_body = statements({"endfor"}, &end);
      }
      expect(T::kBlockEnd, "'%}'");
      body->push_back(std::move(s));
    } else if (tag == "set") {
      auto s = node(Stmt::Kind::kSet, line);
      s->targets.push_back(expect_name());
      if (at_op(".")) {
        next();
        s->text = expect_name();
      }
      while (at_op(",") && s->text.empty()) {
        next();
        s->targets.push_back(expect_name());
      }
      if (at_op("=")) {
        next();
        s->expr = tuple_or_expression();
        expect(T::kBlockEnd, "'%}'");
      } else {
        expect(T::kBlockEnd, "'%}' or '='");
        s->body = statements({"endset"}, &end);
        expect(T::kBlockEnd, "'%}'");
      }
      body->push_back(std::move(s));
    } else if (tag == "macro") {
      auto s = node(Stmt::Kind::kMacro, line);
      s->text = expect_name();
      expect_op("(");
      while (!at_op(")")) {
        std::string param = expect_name();
        ExprPtr def;
        if (at_op("=")) {
          next();
          def = expression();
        }
        s->params.emplace_back(param, std::move(def));
        if (!at_op(",")) break;
        next();
      }
      expect_op(")");
      expect(T::kBlockEnd, "'%}'");
      s->body = statements({"endmacro"}, &end);
      expect(T::kBlockEnd, "'%}'");
      body->push_back(std::move(s));
    } else if (tag == "break" || tag == "continue") {
      body->push_back(node(tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, line));
      expect(T::kBlockEnd, "'%}'");
    } else if (tag == "generation") {
      expect(T::kBlockEnd, "'%}'");
      Body inner = statements({"endgeneration"}, &end);
      expect(T::kBlockEnd, "'%}'");
      for (auto& st : inner) body->push_back(std::move(st));
    } else if (tag.rfind("end", 0) == 0 || tag == "else" || tag == "elif") {
      fail(line, "'" + tag + "' closes no open block");
    } else {
      fail(line, "unknown tag '" + tag + "'");
    }
  }

  static ExprPtr make(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }
  static ExprPtr binary(const std::string& op, ExprPtr a, ExprPtr b, int line) {
    auto e = make(Expr::Kind::kBinary, line);
    e->name = op;
    e->a = std::move(a);
    e->b = std::move(b);
    return e;
  }

  // `a, b` at the top of a set or an output makes a tuple, as in Jinja2.
  ExprPtr tuple_or_expression() {
    const int line = peek().line;
    ExprPtr first = expression();
    if (!at_op(",")) return first;
    auto t = make(Expr::Kind::kList, line);
    t->tuple = true;
    t->args.push_back(std::move(first));
    while (at_op(",")) {
      next();
      if (peek().type == T::kBlockEnd || peek().type == T::kVarEnd) break;
      t->args.push_back(expression());
    }
    return t;
  }

  ExprPtr expression() {
    const Nesting nesting(this);
    ExprPtr e = or_expr();
    while (at_name("if")) {
      const int line = next().line;
      auto c = make(Expr::Kind::kCond, line);
      c->a = std::move(e);
      c->b = or_expr();
      if (at_name("else")) {
        next();
        c->c = expression();
      }
      e = std::move(c);
    }
    return e;
  }
  // One left-associative level of binary operators (names such as "or" or
  // symbols such as "+") over `operand`, the next level up.
  ExprPtr binary_level(ExprPtr (Parser::*operand)(), std::initializer_list<const char*> ops) {
    ExprPtr e = (this->*operand)();
    for (;;) {
      const char* found = nullptr;
      for (const char* o : ops)
        if (at_op(o) || at_name(o)) found = o;
      if (!found) return e;
      const int line = next().line;
      e = binary(found, std::move(e), (this->*operand)(), line);
    }
  }
  ExprPtr or_expr() { return binary_level(&Parser::and_expr, {"or"}); }
  ExprPtr and_expr() { return binary_level(&Parser::not_expr, {"and"}); }
  ExprPtr not_expr() {
    const Nesting nesting(this);
    if (at_name("not")) {
      const int line = next().line;
      auto e = make(Expr::Kind::kUnary, line);
      e->name = "not";
      e->a = not_expr();
      return e;
    }
    return compare();
  }
  ExprPtr compare() {
    ExprPtr e = math1();
    for (;;) {
      const int line = peek().line;
      std::string op;
      for (const char* o : {"==", "!=", "<", ">", "<=", ">="})
        if (at_op(o)) op = o;
      if (!op.empty()) {
        next();
      } else if (at_name("in")) {
        next();
        op = "in";
      } else if (at_name("not") && at_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        return e;
      }
      e = binary(op, std::move(e), math1(), line);
    }
  }
  ExprPtr math1() { return binary_level(&Parser::concat, {"+", "-"}); }
  ExprPtr concat() { return binary_level(&Parser::math2, {"~"}); }
  ExprPtr math2() { return binary_level(&Parser::power, {"*", "/", "//", "%"}); }
  ExprPtr power() { return binary_level(&Parser::filtered_unary, {"**"}); }
  ExprPtr filtered_unary() { return unary(); }
  // Jinja2: `-x | f` is `(-x) | f`; the operand of - and + takes no filters of its own.
  ExprPtr unary(bool with_filters = true) {
    const Nesting nesting(this);
    ExprPtr e;
    if (at_op("-") || at_op("+")) {
      const Token& op = next();
      e = make(Expr::Kind::kUnary, op.line);
      e->name = op.text;
      e->a = unary(/*with_filters=*/false);
    } else {
      e = postfix(primary());
    }
    if (!with_filters) return e;
    return filters(std::move(e));
  }

  ExprPtr primary() {
    const Token& tok = next();
    switch (tok.type) {
      case T::kName: {
        if (tok.text == "true" || tok.text == "True" || tok.text == "false" || tok.text == "False") {
          auto e = make(Expr::Kind::kLiteral, tok.line);
          e->value = Value::boolean(tok.text[0] == 't' || tok.text[0] == 'T');
          return e;
        }
        if (tok.text == "none" || tok.text == "None") {
          auto e = make(Expr::Kind::kLiteral, tok.line);
          e->value = Value::none();
          return e;
        }
        auto e = make(Expr::Kind::kName, tok.line);
        e->name = tok.text;
        return e;
      }
      case T::kString: {
        std::string s = tok.text;
        while (peek().type == T::kString) s += next().text;  // "a" "b" is "ab"
        auto e = make(Expr::Kind::kLiteral, tok.line);
        e->value = Value::string(std::move(s));
        return e;
      }
      case T::kInt: {
        auto e = make(Expr::Kind::kLiteral, tok.line);
        const auto v = parse_integer(tok.text);
        if (!v) fail(tok.line, "integer " + tok.text + " does not fit in 64 bits");
        e->value = Value::integer(*v);
        return e;
      }
      case T::kFloat: {
        auto e = make(Expr::Kind::kLiteral, tok.line);
        const auto v = parse_float(tok.text);
        if (!v) fail(tok.line, "number " + tok.text + " is out of range");
        e->value = Value::number(*v);
        return e;
      }
      case T::kOp:
        if (tok.text == "(") {
          if (at_op(")")) {
            next();
            auto t = make(Expr::Kind::kList, tok.line);
            t->tuple = true;
            return t;
          }
          ExprPtr first = expression();
          if (at_op(")")) {
            next();
            return first;
          }
          auto t = make(Expr::Kind::kList, tok.line);
          t->tuple = true;
          t->args.push_back(std::move(first));
          while (at_op(",")) {
            next();
            if (at_op(")")) break;
            t->args.push_back(expression());
          }
          expect_op(")");
          return t;
        }
        if (tok.text == "[") {
          auto l = make(Expr::Kind::kList, tok.line);
          while (!at_op("]")) {
            l->args.push_back(expression());
            if (!at_op(",")) break;
            next();
          }
          expect_op("]");
          return l;
        }
        if (tok.text == "{") {
          auto d = make(Expr::Kind::kDict, tok.line);
          while (!at_op("}")) {
            d->args.push_back(expression());
            expect_op(":");
            d->args.push_back(expression());
            if (!at_op(",")) break;
            next();
          }
          expect_op("}");
          return d;
        }
        break;
      default: break;
    }
    fail(tok.line, "unexpected " + describe(tok) + " in an expression");
  }

  void call_arguments(Expr* e) {
    while (!at_op(")")) {
      if (peek().type == T::kName && at_op("=", 1)) {
        std::string key = next().text;
        next();
        e->named.emplace_back(key, expression());
      } else {
        e->args.push_back(expression());
      }
      if (!at_op(",")) break;
      next();
    }
    expect_op(")");
  }

  ExprPtr postfix(ExprPtr e) {
    for (;;) {
      const int line = peek().line;
      if (at_op(".")) {
        next();
        auto a = make(Expr::Kind::kAttr, line);
        a->a = std::move(e);
        if (peek().type == T::kInt) a->name = next().text;  // x.0 is x[0]
        else a->name = expect_name();
        e = std::move(a);
      } else if (at_op("[")) {
        next();
        ExprPtr parts[3];
        int colons = 0;
        while (!at_op("]")) {
          if (at_op(":")) {
            if (++colons > 2) fail(peek().line, "a slice has at most two ':'");
            next();
            continue;
          }
          parts[colons] = expression();
        }
        expect_op("]");
        if (colons == 0) {
          if (!parts[0]) fail(line, "empty subscript []");
          auto it = make(Expr::Kind::kItem, line);
          it->a = std::move(e);
          it->b = std::move(parts[0]);
          e = std::move(it);
        } else {
          auto sl = make(Expr::Kind::kSlice, line);
          sl->a = std::move(e);
          sl->b = std::move(parts[0]);
          sl->c = std::move(parts[1]);
          sl->d = std::move(parts[2]);
          e = std::move(sl);
        }
      } else if (at_op("(")) {
        next();
        auto c = make(Expr::Kind::kCall, line);
        c->a = std::move(e);
        call_arguments(c.get());
        e = std::move(c);
      } else {
        return e;
      }
    }
  }

  ExprPtr filters(ExprPtr e) {
    for (;;) {
      if (at_op("|")) {
        const int line = next().line;
        auto f = make(Expr::Kind::kFilter, line);
        f->a = std::move(e);
        f->name = expect_name();
        if (!is_filter(f->name)) fail(line, "no filter named '" + f->name + "'");  // Jinja2 refuses it when compiling
        if (at_op("(")) {
          next();
          call_arguments(f.get());
        }
        e = std::move(f);
      } else if (at_name("is")) {
        const int line = next().line;
        auto t = make(Expr::Kind::kTest, line);
        t->a = std::move(e);
        if (at_name("not")) {
          next();
          t->negated = true;
        }
        // Test names include the keywords none/true/false.
        if (peek().type != T::kName) fail(peek().line, "expected a test name after 'is', found " + describe(peek()));
        t->name = next().text;
        if (!is_test(t->name)) fail(line, "no test named '" + t->name + "'");
        if (at_op("(")) {
          next();
          call_arguments(t.get());
        } else if (peek().type == T::kString || peek().type == T::kInt || peek().type == T::kFloat ||
                   (peek().type == T::kName && !at_name("and") && !at_name("or") && !at_name("if") &&
                    !at_name("else") && !at_name("is") && !at_name("in") && !at_name("not"))) {
          t->args.push_back(postfix(primary()));  // `x is divisibleby 3`, `x is sameas none`
        }
        e = std::move(t);
      } else {
        return postfix(std::move(e));
      }
      e = postfix(std::move(e));
    }
  }

  // Counts nesting while a block or an expression is parsed (the parser and
  // the renderer recurse: a limit instead of a stack overflow).
  struct Nesting {
    Parser* p;
    explicit Nesting(Parser* parser) : p(parser) {
      if (++p->depth_ > kMaxNesting) p->fail(p->peek().line, "nested deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    ~Nesting() { --p->depth_; }
  };

  const std::vector<Token>& t_;
  const std::string& source_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, const std::string& source) { return Parser(tokens, source).run(); }

}  // namespace irq::jinja
