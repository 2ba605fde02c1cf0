// Jinja2's filters and tests as chat templates use them (see builtins.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "text/jinja/builtins.h"
#include "text/utf8.h"

namespace irq::jinja {

namespace {

const Value kNoValue;

// A filter's attribute argument: "a.b" looks up a then b; "0" an index.
Value attribute_path(const Value& v, const std::string& path) {
  Value cur = v;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool index = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    const auto number = index ? parse_integer(part) : std::nullopt;
    cur = cur.is_undefined() ? cur : number ? get_item(cur, Value::integer(*number)) : get_item(cur, Value::string(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

CallArgs rest_args(const CallArgs& a, size_t from) {
  CallArgs out;
  for (size_t i = from; i < a.positional.size(); ++i) out.positional.push_back(a.positional[i]);
  out.named = a.named;
  return out;
}

std::string join_values(const ValueList& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i].str();
  return out;
}

ValueList sorted_values(ValueList items, bool reverse, const Value& attribute) {
  const auto key = [&](const Value& v) { return attribute.is_string() ? attribute_path(v, attribute.str_ref()) : v; };
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    Value kx = key(x), ky = key(y);
    if (kx.is_string() && ky.is_string()) {  // Jinja2 sorts strings case-insensitively by default
      kx = Value::string(python_case(kx.str_ref(), "lower"));
      ky = Value::string(python_case(ky.str_ref(), "lower"));
    }
    return reverse ? binary_op("<", ky, kx).as_bool() : binary_op("<", kx, ky).as_bool();
  });
  return items;
}

// select/reject (by test on the item) and selectattr/rejectattr (by test on an attribute).
ValueList select_items(const Value& v, const CallArgs& a, bool keep, bool by_attribute) {
  ValueList out;
  const size_t test_at = by_attribute ? 1 : 0;
  const Value& attr = by_attribute ? call_arg(a, 0, "attribute", kNoValue) : kNoValue;
  if (by_attribute && !attr.is_string()) throw EvalError("selectattr/rejectattr need an attribute name");
  const Value& test = call_arg(a, test_at, "test", kNoValue);
  const CallArgs test_args = rest_args(a, test_at + 1);
  for (const Value& item : iterate(v)) {
    const Value subject = by_attribute ? attribute_path(item, attr.str_ref()) : item;
    const bool pass = test.is_string() ? apply_test(test.str_ref(), subject, test_args) : subject.truthy();
    if (pass == keep) out.push_back(item);
  }
  return out;
}

Value indent_text(const std::string& s, const CallArgs& a) {
  const Value& width = call_arg(a, 0, "width", Value::integer(4));
  const bool first = call_arg(a, 1, "first", Value::boolean(false)).truthy();
  const bool blank = call_arg(a, 2, "blank", Value::boolean(false)).truthy();
  if (!width.is_string() && width.as_int() > 1000) throw EvalError("indent width over 1000");
  const std::string pad = width.is_string() ? width.str_ref() : std::string(static_cast<size_t>(std::max<int64_t>(0, width.as_int())), ' ');
  std::string out;
  size_t start = 0;
  bool is_first = true;
  for (;;) {
    const size_t nl = s.find('\n', start);
    const std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    const bool indent = (is_first ? first : true) && (blank || !line.empty());
    out += (indent ? pad : "") + line;
    if (out.size() > kMaxStringBytes) throw EvalError("indent result longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
    if (nl == std::string::npos) return Value::string(out);
    out += '\n';
    start = nl + 1;
    is_first = false;
  }
}

Value to_json_filter(const Value& v, const CallArgs& a) {
  // transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
  if (v.is_undefined()) throw EvalError("Object of type Undefined is not JSON serializable");
  if (call_arg(a, 0, "ensure_ascii", kNoValue).truthy()) throw EvalError("tojson(ensure_ascii=True) is not supported");
  const Value& indent = call_arg(a, 1, "indent", Value::none());
  if (!call_arg(a, 2, "separators", Value::none()).is_none()) throw EvalError("tojson(separators=...) is not supported");
  const bool sort_keys = call_arg(a, 3, "sort_keys", Value::boolean(false)).truthy();
  return Value::string(v.to_json(indent.is_none() ? -1 : static_cast<int>(indent.as_int()), sort_keys));
}

const char* const kFilterNames[] = {
    "trim", "length", "count", "string", "safe", "e", "escape", "tojson", "upper", "lower", "title", "capitalize",
    "replace", "default", "d", "first", "last", "list", "items", "join", "reverse", "sort", "unique", "map", "select",
    "reject", "selectattr", "rejectattr", "int", "float", "abs", "round", "sum", "min", "max", "indent", "wordcount"};
const char* const kTestNames[] = {
    "defined", "undefined", "none", "string", "boolean", "true", "false", "number", "integer", "float", "mapping",
    "sequence", "iterable", "callable", "even", "odd", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
    "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "lower", "upper"};

}  // namespace

bool is_filter(const std::string& name) {
  return std::find(std::begin(kFilterNames), std::end(kFilterNames), name) != std::end(kFilterNames);
}
bool is_test(const std::string& name) {
  return std::find(std::begin(kTestNames), std::end(kTestNames), name) != std::end(kTestNames);
}

Value apply_filter(const std::string& name, const Value& v, const CallArgs& a) {
  if (name == "trim") {
    return Value::string(python_strip(v.str(), call_arg(a, 0, "chars", Value::none()), true, true));
  }
  if (name == "length" || name == "count") {
    if (v.is_string()) return Value::integer(static_cast<int64_t>(utf8::count_code_points(v.str_ref())));
    if (v.is_undefined()) return Value::integer(0);
    if (v.is_list()) return Value::integer(static_cast<int64_t>(v.items().size()));
    if (v.is_mapping()) return Value::integer(static_cast<int64_t>(v.entries().size()));
    throw EvalError("object of type '" + v.type_name() + "' has no len()");
  }
  if (name == "string") return Value::string(v.str());
  if (name == "safe" || name == "e" || name == "escape") {
    if (name == "safe") return v;
    throw EvalError("filter 'escape' is not supported (chat templates render without HTML escaping)");
  }
  if (name == "tojson") return to_json_filter(v, a);
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") return Value::string(python_case(v.str(), name));
  if (name == "replace") return get_attribute(Value::string(v.str()), "replace").callable()(a);
  if (name == "default" || name == "d") {
    const Value& fallback = call_arg(a, 0, "default_value", Value::string(""));
    const bool boolean = call_arg(a, 1, "boolean", Value::boolean(false)).truthy();
    return (v.is_undefined() || (boolean && !v.truthy())) ? fallback : v;
  }
  if (name == "first" || name == "last") {
    const ValueList items = iterate(v);
    if (items.empty()) return Value::undefined(name + " of an empty sequence");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") return Value::list(iterate(v));
  if (name == "items") {
    if (v.is_undefined()) return Value::list({});
    if (!v.is_mapping()) throw EvalError("can only get item pairs from a mapping");
    return get_attribute(Value::dict(v.entries()), "items").callable()(CallArgs{});
  }
  if (name == "join") {
    const Value& sep = call_arg(a, 0, "d", Value::string(""));
    const Value& attr = call_arg(a, 1, "attribute", Value::none());
    ValueList items = iterate(v);
    if (attr.is_string())
      for (auto& item : items) item = attribute_path(item, attr.str_ref());
    return Value::string(join_values(items, sep.str()));
  }
  if (name == "reverse") {
    if (v.is_string()) return slice(v, Value::none(), Value::none(), Value::integer(-1));
    ValueList items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "sort")
    return Value::list(sorted_values(iterate(v), call_arg(a, 0, "reverse", Value::boolean(false)).truthy(),
                                     call_arg(a, 2, "attribute", Value::none())));
  if (name == "unique") {
    ValueList out;
    for (const Value& item : iterate(v))
      if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    return Value::list(std::move(out));
  }
  if (name == "map") {
    const Value& attr = call_arg(a, 99, "attribute", Value::none());
    ValueList out;
    for (const Value& item : iterate(v)) {
      if (attr.is_string()) {
        out.push_back(attribute_path(item, attr.str_ref()));
      } else {
        if (a.positional.empty() || !a.positional[0].is_string()) throw EvalError("map needs a filter name or attribute=");
        out.push_back(apply_filter(a.positional[0].str_ref(), item, rest_args(a, 1)));
      }
    }
    return Value::list(std::move(out));
  }
  if (name == "select" || name == "reject") return Value::list(select_items(v, a, name == "select", false));
  if (name == "selectattr" || name == "rejectattr") return Value::list(select_items(v, a, name == "selectattr", true));
  if (name == "int") {  // Jinja2: int(s), else int(float(s)), else the default
    if (v.is_string()) {
      if (const auto i = parse_integer(v.str_ref())) return Value::integer(*i);
      const auto f = parse_float(v.str_ref());
      if (f && std::isfinite(*f) && std::fabs(*f) < 9.2e18) return Value::integer(static_cast<int64_t>(*f));
      return call_arg(a, 0, "default", Value::integer(0));
    }
    if (v.kind() == Value::Kind::kFloat && !(std::isfinite(v.as_double()) && std::fabs(v.as_double()) < 9.2e18))
      return call_arg(a, 0, "default", Value::integer(0));
    return v.is_number() ? Value::integer(v.as_int()) : call_arg(a, 0, "default", Value::integer(0));
  }
  if (name == "float") {
    if (v.is_string()) {
      const auto f = parse_float(v.str_ref());
      return f ? Value::number(*f) : call_arg(a, 0, "default", Value::number(0));
    }
    return v.is_number() ? Value::number(v.as_double()) : call_arg(a, 0, "default", Value::number(0));
  }
  if (name == "abs") {
    if (v.kind() == Value::Kind::kFloat) return Value::number(std::fabs(v.as_double()));
    if (v.is_number()) {
      if (v.as_int() == INT64_MIN) throw EvalError("integer overflow (the result does not fit in 64 bits)");
      return Value::integer(std::llabs(v.as_int()));
    }
    throw EvalError("bad operand type for abs(): '" + v.type_name() + "'");
  }
  if (name == "round") {
    const int64_t precision = call_arg(a, 0, "precision", Value::integer(0)).as_int();
    // Python's round(): the decimal nearest to the exact binary value (2.675
    // is 2.67499..., so 2.67), ties to even; printf rounds the same way.
    std::vector<char> buf(700);  // 309 integer digits + 300 decimals at most
    std::snprintf(buf.data(), buf.size(), "%.*f", static_cast<int>(std::clamp<int64_t>(precision, 0, 300)), v.as_double());
    return Value::number(std::strtod(buf.data(), nullptr));
  }
  if (name == "sum") {
    Value total = call_arg(a, 1, "start", Value::integer(0));
    for (const Value& item : iterate(v)) total = binary_op("+", total, item);
    return total;
  }
  if (name == "min" || name == "max") {
    ValueList items = sorted_values(iterate(v), false, call_arg(a, 1, "attribute", Value::none()));
    if (items.empty()) return Value::undefined(name + " of an empty sequence");
    return name == "min" ? items.front() : items.back();
  }
  if (name == "indent") return indent_text(v.str(), a);
  if (name == "wordcount")
    return Value::integer(static_cast<int64_t>(get_attribute(Value::string(v.str()), "split").callable()(CallArgs{}).items().size()));
  throw EvalError("no filter named '" + name + "'");
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& a) {
  const Value& other = call_arg(a, 0, "value", kNoValue);
  using K = Value::Kind;
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "boolean") return v.kind() == K::kBool;
  if (name == "true") return v.kind() == K::kBool && v.as_bool();
  if (name == "false") return v.kind() == K::kBool && !v.as_bool();
  if (name == "number") return v.kind() == K::kInt || v.kind() == K::kFloat || v.kind() == K::kBool;
  if (name == "integer") return v.kind() == K::kInt;
  if (name == "float") return v.kind() == K::kFloat;
  if (name == "mapping") return v.kind() == K::kDict;
  if (name == "sequence") return v.is_list() || v.is_string() || v.kind() == K::kDict;
  if (name == "iterable") return v.is_list() || v.is_string() || v.is_mapping();
  if (name == "callable") return v.kind() == K::kFunction;
  if (name == "even" || name == "odd") {
    if (v.kind() != K::kInt) throw EvalError("test '" + name + "' needs an integer");
    return (((v.as_int() % 2) + 2) % 2 == 0) == (name == "even");
  }
  if (name == "divisibleby") return other.as_int() != 0 && v.as_int() % other.as_int() == 0;
  if (name == "eq" || name == "equalto" || name == "==") return v == other;
  if (name == "ne" || name == "!=") return v != other;
  if (name == "lt" || name == "lessthan" || name == "<") return binary_op("<", v, other).as_bool();
  if (name == "le" || name == "<=") return binary_op("<=", v, other).as_bool();
  if (name == "gt" || name == "greaterthan" || name == ">") return binary_op(">", v, other).as_bool();
  if (name == "ge" || name == ">=") return binary_op(">=", v, other).as_bool();
  if (name == "in") return binary_op("in", v, other).as_bool();
  if (name == "sameas") {
    if (v.kind() != other.kind()) return false;
    if (v.is_none() || v.is_undefined()) return true;
    if (v.kind() == K::kBool) return v.as_bool() == other.as_bool();
    if (v.is_list()) return &v.items() == &other.items();
    if (v.is_mapping()) return &v.entries() == &other.entries();
    return false;
  }
  if (name == "lower" || name == "upper") {
    if (!v.is_string()) return false;
    const std::string s = v.str_ref();
    const std::string converted = python_case(s, name);
    return s == converted && std::any_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  }
  throw EvalError("no test named '" + name + "'");
}

}  // namespace irq::jinja
