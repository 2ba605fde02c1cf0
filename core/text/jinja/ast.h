// The parsed form of a chat template: expressions and statements of the
// Jinja2 subset chat templates use (parser.h builds them, render.h runs them).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/jinja/value.h"

namespace irq::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
using NamedExprs = std::vector<std::pair<std::string, ExprPtr>>;

struct Expr {
  enum class Kind {
    kLiteral,  // value
    kName,     // name
    kList,     // args; tuple: a tuple literal
    kDict,     // args: key, value, key, value, ...
    kAttr,     // a.name
    kItem,     // a[b]
    kSlice,    // a[b:c:d], each optional
    kCall,     // a(args, named)
    kFilter,   // a | name(args, named)
    kTest,     // a is [not] name args
    kUnary,    // op a: "not", "-", "+"
    kBinary,   // a op b
    kCond,     // a if b else c
  };
  Kind kind;
  int line = 0;
  Value value;
  std::string name;  // variable, attribute, filter, test or operator
  bool tuple = false, negated = false;
  ExprPtr a, b, c, d;
  std::vector<ExprPtr> args;
  NamedExprs named;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // branches (condition, body); else_body
    kFor,       // targets in expr [if filter]: body, else_body
    kSet,       // targets (or target.attr) = expr; or a block set of body
    kMacro,     // name(params): body
    kBreak,
    kContinue,
  };
  Kind kind;
  int line = 0;
  std::string text;                  // kText; kMacro: its name; kSet: "" or the attribute of `targets[0]`
  ExprPtr expr, filter;
  std::vector<std::string> targets;  // kFor / kSet names
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body, else_body;
  NamedExprs params;                 // kMacro: name and default (null: none)
};

}  // namespace irq::jinja
