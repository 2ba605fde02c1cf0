// Chat template source -> tokens, as Jinja2's lexer splits it with the
// options transformers compiles chat templates with (trim_blocks and
// lstrip_blocks on): text between tags, {{ }} / {% %} tags with the tokens
// inside them, {# #} comments dropped. Whitespace control follows Jinja2:
// "{%-"/"-%}" strip all whitespace on that side, "+" keeps it,
// trim_blocks drops the first newline after a block or comment tag,
// lstrip_blocks drops spaces and tabs between a line's start and a block or
// comment tag. String literals are unescaped as Python's "unicode-escape"
// does (\n, \t, \\, \', \", \xNN, \uNNNN, \UNNNNNNNN; others kept).
#pragma once

#include <string>
#include <vector>

namespace irq::jinja {

struct Token {
  enum class Type { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEnd };
  Type type;
  std::string text;  // the text, name, unescaped string, number or operator
  int line = 1;
};

// Throws Error(kInvalidInput) "<source>: line N: ..." on an unclosed tag,
// comment or string, or a character no token starts with.
std::vector<Token> tokenize(const std::string& text, const std::string& source);

}  // namespace irq::jinja
