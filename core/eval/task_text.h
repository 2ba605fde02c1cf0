// The few Python string operations lm-evaluation-harness applies to task
// text, with Python 3's semantics on UTF-8 (utf8proc for the Unicode parts),
// so prompts are byte-for-byte what lm-eval builds:
//   py_strip / py_rstrip   str.strip() / str.rstrip(): whitespace as
//                          str.isspace() defines it (ASCII \t\n\v\f\r, the
//                          \x1c-\x1f separators, \x85, and Unicode Z* spaces)
//   py_capitalize          str.capitalize(): first character title-cased,
//                          the rest lower-cased (simple case mappings)
//   hellaswag_preprocess   lm_eval/tasks/hellaswag/utils.py preprocess():
//                          strip, " [title]" -> ". ", drop every shortest
//                          "[...]" on one line, then "  " -> " " once over
//   py_char_count          len(str): code points (acc_norm's length)
// Task text comes from JSON, which the parser has checked is UTF-8; an
// invalid byte would count as one character here.
#pragma once

#include <cstddef>
#include <string>

namespace irq {

std::string py_strip(const std::string& s);
std::string py_rstrip(const std::string& s);
std::string py_capitalize(const std::string& s);
std::string hellaswag_preprocess(const std::string& s);
size_t py_char_count(const std::string& s);

}  // namespace irq
