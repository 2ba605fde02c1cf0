// Jinja2's filters, tests and operators, the Python str/dict methods chat
// templates call, and the globals transformers adds (raise_exception,
// strftime_now, namespace, dict) beside Jinja's range. Each behaves as in
// Jinja2 3.1 under transformers' ImmutableSandboxedEnvironment: lists and
// dicts cannot be changed, tojson is json.dumps(ensure_ascii=False).
// Failures throw EvalError with Python's wording; the renderer adds the
// template's name and line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "text/jinja/value.h"

namespace irq::jinja {

// raise_exception(message) in a template: the message is the template's own.
struct RaisedError : EvalError {
  using EvalError::EvalError;
};

// Limits that turn a runaway template into an error instead of exhausting
// memory: the longest string or list an operation may build.
constexpr size_t kMaxStringBytes = size_t{64} << 20;
constexpr size_t kMaxListItems = 1000000;

// Python's str.strip / lstrip / rstrip (chars: a string of ASCII
// characters, or None / Undefined for whitespace), and str.upper / lower /
// title / capitalize (ASCII letters; other bytes as they are).
std::string python_strip(const std::string& s, const Value& chars, bool left, bool right);
std::string python_case(const std::string& s, const std::string& method);

// Python's int(s) / float(s) of a whole string (surrounding whitespace
// allowed); nullopt when it is not one or out of range.
std::optional<int64_t> parse_integer(const std::string& s);
std::optional<double> parse_float(const std::string& s);

bool is_filter(const std::string& name);  // the names apply_filter knows
bool is_test(const std::string& name);    // the names apply_test knows
Value apply_filter(const std::string& name, const Value& v, const CallArgs& args);
bool apply_test(const std::string& name, const Value& v, const CallArgs& args);
Value binary_op(const std::string& op, const Value& a, const Value& b);  // + - * / // % ** ~ < > <= >= in
// v.name: a dict's key (or its items/keys/values/get methods), a
// namespace's attribute, a string's method; Undefined when there is none.
Value get_attribute(const Value& v, const std::string& name);
Value get_item(const Value& v, const Value& key);  // v[key]: index (negative from the end), key, attribute
Value slice(const Value& v, const Value& start, const Value& stop, const Value& step);
ValueList iterate(const Value& v);  // a for loop's items: a list, a dict's keys, a string's characters
Value global(const std::string& name);  // range, namespace, dict, raise_exception, strftime_now; Undefined otherwise
// Argument `i` of a call, or the one passed as `name=`, or `fallback`
// (a copy: `fallback` is often a temporary).
Value call_arg(const CallArgs& a, size_t i, const char* name, const Value& fallback);

}  // namespace irq::jinja
