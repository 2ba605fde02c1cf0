// Tokens -> statements, with Jinja2's grammar and operator precedence
// (lowest first): `x if c else y`, or, and, not, comparisons and `in`,
// + -, ~, * / // %, **, unary - +, then filters `|f(...)` and tests
// `is [not] t` after a primary with its .attr, [item], [a:b:c] and calls.
// Tags: if/elif/else, for (with `if` filter and else), set (also
// `set ns.x`, tuple targets and block set), macro, break/continue
// (loopcontrols), and transformers' generation/endgeneration (rendered as
// its body).
#pragma once

#include <string>
#include <vector>

#include "text/jinja/ast.h"
#include "text/jinja/lexer.h"

namespace irq::jinja {

// Throws Error(kInvalidInput) "<source>: line N: ..." naming the unknown tag,
// the unexpected token or the block left open.
Body parse(const std::vector<Token>& tokens, const std::string& source);

}  // namespace irq::jinja
