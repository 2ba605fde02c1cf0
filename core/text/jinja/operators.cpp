// Operators, attribute and item access, slicing, iteration, the string and
// dict methods, and the globals of a chat template (see builtins.h).
#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>

#include "text/jinja/builtins.h"
#include "text/utf8.h"

namespace irq::jinja {

namespace {

bool is_strip_char(unsigned char c, const Value& chars) {
  if (chars.is_string()) return chars.str_ref().find(static_cast<char>(c)) != std::string::npos;
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

[[noreturn]] void type_error(const std::string& op, const Value& a, const Value& b) {
  throw EvalError("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
}

void require_defined(const Value& v) {
  if (v.is_undefined()) throw EvalError("'" + (v.str_ref().empty() ? std::string("value") : v.str_ref()) + "' is undefined");
}

bool both_int(const Value& a, const Value& b) {
  return a.kind() != Value::Kind::kFloat && b.kind() != Value::Kind::kFloat;
}

// Python's ints never overflow; a template that leaves int64 is refused.
[[noreturn]] void overflow() { throw EvalError("integer overflow (the result does not fit in 64 bits)"); }
int64_t add_checked(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) overflow();
  return r;
}
int64_t sub_checked(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) overflow();
  return r;
}
int64_t mul_checked(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) overflow();
  return r;
}

int64_t floor_div(int64_t a, int64_t b) {
  if (a == INT64_MIN && b == -1) overflow();
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int compare_values(const Value& a, const Value& b, const std::string& op) {
  if (a.is_number() && b.is_number()) {
    const double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) return a.str_ref().compare(b.str_ref()) < 0 ? -1 : a.str_ref() == b.str_ref() ? 0 : 1;
  if (a.is_list() && b.is_list()) {
    const auto &x = a.items(), &y = b.items();
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
      if (x[i] != y[i]) return compare_values(x[i], y[i], op);
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  throw EvalError("'" + op + "' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

// Python's "%s %d %r %f" % args, for the conversions templates use.
std::string percent_format(const std::string& fmt, const Value& args) {
  ValueList list = args.is_tuple() ? args.items() : ValueList{args};
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) throw EvalError("incomplete format");
    const char c = fmt[i];
    if (c == '%') {
      out += '%';
      continue;
    }
    if (next >= list.size()) throw EvalError("not enough arguments for format string");
    const Value& v = list[next++];
    if (c == 's') out += v.str();
    else if (c == 'r') out += v.repr();
    else if (c == 'd' || c == 'i') out += std::to_string(v.as_int());
    else if (c == 'f') out += std::to_string(v.as_double());
    else throw EvalError(std::string("unsupported format character '") + c + "'");
  }
  if (next < list.size()) throw EvalError("not all arguments converted during string formatting");
  return out;
}

std::string repeat_string(const std::string& s, int64_t n) {
  if (n > 0 && s.size() * static_cast<unsigned __int128>(n) > kMaxStringBytes)
    throw EvalError("string repetition longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
  std::string out;
  for (int64_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

std::string python_strip(const std::string& s, const Value& chars, bool left, bool right) {
  if (chars.is_string()) {
    for (unsigned char c : chars.str_ref())
      if (c >= 0x80) throw EvalError("strip() with non-ASCII characters is not supported");
  }
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && is_strip_char(static_cast<unsigned char>(s[b]), chars)) ++b;
  if (right)
    while (e > b && is_strip_char(static_cast<unsigned char>(s[e - 1]), chars)) --e;
  return s.substr(b, e - b);
}

std::string python_case(const std::string& s, const std::string& method) {
  std::string out = s;
  const auto up = [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); };
  const auto down = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  if (method == "upper" || method == "lower") {
    for (char& c : out) c = method == "upper" ? up(c) : down(c);
  } else if (method == "capitalize") {
    for (char& c : out) c = down(c);
    if (!out.empty()) out[0] = up(out[0]);
  } else {  // title: a letter after a non-letter starts a word
    bool word_start = true;
    for (char& c : out) {
      const bool alpha = std::isalpha(static_cast<unsigned char>(c));
      if (alpha) c = word_start ? up(c) : down(c);
      word_start = !alpha;
    }
  }
  return out;
}

Value call_arg(const CallArgs& a, size_t i, const char* name, const Value& fallback) {
  if (i < a.positional.size()) return a.positional[i];
  for (const auto& [k, v] : a.named)
    if (k == name) return v;
  return fallback;
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string s = a.str(), t = b.str();
    if (s.size() + t.size() > kMaxStringBytes) throw EvalError("string longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
    return Value::string(s + t);
  }
  if (op == "in") {
    require_defined(b);
    if (b.is_string()) {
      if (!a.is_string()) throw EvalError("'in <string>' requires string as left operand, not " + a.type_name());
      return Value::boolean(b.str_ref().find(a.str_ref()) != std::string::npos);
    }
    if (b.is_list()) return Value::boolean(std::find(b.items().begin(), b.items().end(), a) != b.items().end());
    if (b.is_mapping()) return Value::boolean(a.is_string() && b.get(a.str_ref()).has_value());
    throw EvalError("argument of type '" + b.type_name() + "' is not iterable");
  }
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    require_defined(a);
    require_defined(b);
    const int c = compare_values(a, b, op);
    return Value::boolean(op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0);
  }
  require_defined(a);
  require_defined(b);
  if (op == "+") {
    if (a.is_number() && b.is_number()) {
      return both_int(a, b) ? Value::integer(add_checked(a.as_int(), b.as_int()))
                            : Value::number(a.as_double() + b.as_double());
    }
    if (a.is_string() && b.is_string()) {
      if (a.str_ref().size() + b.str_ref().size() > kMaxStringBytes)
        throw EvalError("string longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
      return Value::string(a.str_ref() + b.str_ref());
    }
    if (a.is_list() && b.is_list()) {
      if (a.items().size() + b.items().size() > kMaxListItems)
        throw EvalError("list longer than " + std::to_string(kMaxListItems) + " items");
      ValueList out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return a.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
    }
    type_error(op, a, b);
  }
  if (op == "*") {
    if (a.is_number() && b.is_number()) {
      return both_int(a, b) ? Value::integer(mul_checked(a.as_int(), b.as_int()))
                            : Value::number(a.as_double() * b.as_double());
    }
    if (a.is_string() && b.kind() == Value::Kind::kInt) return Value::string(repeat_string(a.str_ref(), b.as_int()));
    if (b.is_string() && a.kind() == Value::Kind::kInt) return Value::string(repeat_string(b.str_ref(), a.as_int()));
    type_error(op, a, b);
  }
  if (op == "%" && a.is_string()) return Value::string(percent_format(a.str_ref(), b));
  if (!a.is_number() || !b.is_number()) type_error(op, a, b);
  if (op == "-") {
    return both_int(a, b) ? Value::integer(sub_checked(a.as_int(), b.as_int()))
                          : Value::number(a.as_double() - b.as_double());
  }
  if (op == "**") {
    if (both_int(a, b) && b.as_int() >= 0) {
      const int64_t base = a.as_int();
      if (base == 0 || base == 1) return Value::integer(b.as_int() == 0 ? 1 : base);
      if (base == -1) return Value::integer(b.as_int() % 2 == 0 ? 1 : -1);
      int64_t r = 1;  // |base| >= 2 overflows within 64 steps
      for (int64_t i = 0; i < b.as_int(); ++i) r = mul_checked(r, base);
      return Value::integer(r);
    }
    return Value::number(std::pow(a.as_double(), b.as_double()));
  }
  if (b.as_double() == 0) throw EvalError(op == "%" ? "integer modulo by zero" : "division by zero");
  if (op == "/") return Value::number(a.as_double() / b.as_double());
  if (op == "//") {
    if (both_int(a, b)) return Value::integer(floor_div(a.as_int(), b.as_int()));
    return Value::number(std::floor(a.as_double() / b.as_double()));
  }
  if (op == "%") {
    if (both_int(a, b)) {  // Python's sign, the divisor's: no product that may leave int64
      const int64_t x = a.as_int(), y = b.as_int();
      if (y == -1) return Value::integer(0);
      int64_t r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return Value::integer(r);
    }
    const double m = std::fmod(a.as_double(), b.as_double());
    return Value::number(m != 0 && ((m < 0) != (b.as_double() < 0)) ? m + b.as_double() : m);
  }
  throw EvalError("unknown operator '" + op + "'");
}

namespace {


ValueList split_string(const std::string& s, const Value& sep, int64_t maxsplit) {
  ValueList out;
  if (sep.is_string()) {
    const std::string& d = sep.str_ref();
    if (d.empty()) throw EvalError("empty separator");
    size_t start = 0;
    for (;;) {
      const size_t at = (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) ? s.find(d, start) : std::string::npos;
      if (at == std::string::npos) {
        out.push_back(Value::string(s.substr(start)));
        return out;
      }
      out.push_back(Value::string(s.substr(start, at - start)));
      start = at + d.size();
    }
  }
  size_t i = 0;  // whitespace runs, no empty strings
  while (i < s.size()) {
    while (i < s.size() && is_strip_char(static_cast<unsigned char>(s[i]), Value())) ++i;
    if (i >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      out.push_back(Value::string(python_strip(s.substr(i), Value(), false, true)));
      break;
    }
    size_t j = i;
    while (j < s.size() && !is_strip_char(static_cast<unsigned char>(s[j]), Value())) ++j;
    out.push_back(Value::string(s.substr(i, j - i)));
    i = j;
  }
  return out;
}

bool affix_matches(const std::string& s, const Value& affix, bool prefix) {
  const auto one = [&](const std::string& a) {
    return a.size() <= s.size() && (prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0);
  };
  if (affix.is_list()) {
    for (const auto& a : affix.items())
      if (a.is_string() && one(a.str_ref())) return true;
    return false;
  }
  if (!affix.is_string()) throw EvalError(std::string(prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str");
  return one(affix.str_ref());
}

std::string replace_up_to(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  if (from.empty()) throw EvalError("replace() with an empty pattern is not supported");
  std::string out;
  size_t start = 0;
  int64_t done = 0;
  for (;;) {
    const size_t at = (count < 0 || done < count) ? s.find(from, start) : std::string::npos;
    if (at == std::string::npos) return out + s.substr(start);
    out += s.substr(start, at - start) + to;
    start = at + from.size();
    ++done;
  }
}

Value string_method(const std::string& s, const std::string& name) {
  const Value none = Value::none();
  auto fn = [s, name, none](const CallArgs& a) -> Value {
    if (name == "strip" || name == "lstrip" || name == "rstrip")
      return Value::string(python_strip(s, call_arg(a, 0, "chars", none), name != "rstrip", name != "lstrip"));
    if (name == "split") return Value::list(split_string(s, call_arg(a, 0, "sep", none), call_arg(a, 1, "maxsplit", Value::integer(-1)).as_int()));
    if (name == "startswith" || name == "endswith") return Value::boolean(affix_matches(s, call_arg(a, 0, "prefix", none), name == "startswith"));
    if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") return Value::string(python_case(s, name));
    if (name == "replace") {
      const Value& from = call_arg(a, 0, "old", none);
      const Value& to = call_arg(a, 1, "new", none);
      if (!from.is_string() || !to.is_string()) throw EvalError("replace() arguments must be str");
      return Value::string(replace_up_to(s, from.str_ref(), to.str_ref(), call_arg(a, 2, "count", Value::integer(-1)).as_int()));
    }
    if (name == "find" || name == "count") {
      const Value& sub = call_arg(a, 0, "sub", none);
      if (!sub.is_string()) throw EvalError(name + "() argument must be str");
      if (name == "find") {
        const size_t at = s.find(sub.str_ref());
        return Value::integer(at == std::string::npos ? -1 : static_cast<int64_t>(utf8::count_code_points(s.substr(0, at))));
      }
      int64_t n = 0;
      for (size_t at = s.find(sub.str_ref()); at != std::string::npos && !sub.str_ref().empty(); at = s.find(sub.str_ref(), at + sub.str_ref().size())) ++n;
      return Value::integer(n);
    }
    if (name == "join") {
      std::string out;
      const ValueList items = iterate(call_arg(a, 0, "iterable", none));
      for (size_t i = 0; i < items.size(); ++i) {
        if (!items[i].is_string()) throw EvalError("sequence item " + std::to_string(i) + ": expected str instance, " + items[i].type_name() + " found");
        out += (i ? s : "") + items[i].str_ref();
      }
      return Value::string(out);
    }
    throw EvalError("'str' object has no attribute '" + name + "'");
  };
  return Value::function(fn);
}

Value dict_method(const Value& d, const std::string& name) {
  return Value::function([d, name](const CallArgs& a) -> Value {
    if (name == "items") {
      ValueList out;
      for (const auto& [k, v] : d.entries()) out.push_back(Value::tuple({Value::string(k), v}));
      return Value::list(std::move(out));
    }
    if (name == "keys" || name == "values") {
      ValueList out;
      for (const auto& [k, v] : d.entries()) out.push_back(name == "keys" ? Value::string(k) : v);
      return Value::list(std::move(out));
    }
    // get
    const Value& key = call_arg(a, 0, "key", Value());
    const Value& fallback = call_arg(a, 1, "default", Value::none());
    if (!key.is_string()) return fallback;
    auto v = d.get(key.str_ref());
    return v ? *v : fallback;
  });
}

bool is_string_method(const std::string& name) {
  static const char* const kNames[] = {"strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower",
                                       "title", "capitalize", "replace", "find", "count", "join"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

}  // namespace

std::optional<int64_t> parse_integer(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  if (b < e && s[b] == '+') ++b;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data() + b, s.data() + e, v);
  if (ec != std::errc() || end != s.data() + e || b == e) return std::nullopt;
  return v;
}

std::optional<double> parse_float(const std::string& s) {
  const std::string t = python_strip(s, Value(), true, true);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || (errno == ERANGE && std::isinf(v))) return std::nullopt;
  return v;
}

Value get_attribute(const Value& v, const std::string& name) {
  require_defined(v);
  if (v.kind() == Value::Kind::kDict) {
    if (name == "items" || name == "keys" || name == "values" || name == "get") return dict_method(v, name);
    auto found = v.get(name);
    return found ? *found : Value::undefined(name);
  }
  if (v.kind() == Value::Kind::kNamespace) {
    auto found = v.get(name);
    return found ? *found : Value::undefined(name);
  }
  if (v.is_string() && is_string_method(name)) return string_method(v.str_ref(), name);
  if (v.is_list() && !name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
    const auto index = parse_integer(name);
    return index ? get_item(v, Value::integer(*index)) : Value::undefined(name);
  }
  if (v.is_list() && (name == "append" || name == "pop" || name == "insert" || name == "extend" || name == "clear"))
    throw EvalError("access to attribute '" + name + "' of 'list' object is unsafe");
  return Value::undefined(name);
}

Value get_item(const Value& v, const Value& key) {
  require_defined(v);
  if (v.is_list() || v.is_string()) {
    if (key.kind() != Value::Kind::kInt && key.kind() != Value::Kind::kBool) {
      if (key.is_string()) return get_attribute(v, key.str_ref());
      throw EvalError(v.type_name() + " indices must be integers, not " + key.type_name());
    }
    if (v.is_string()) {
      const auto cps = utf8::code_points(v.str_ref());
      int64_t i = key.as_int();
      if (i < 0) i += static_cast<int64_t>(cps.size());
      if (i < 0 || i >= static_cast<int64_t>(cps.size())) return Value::undefined("string index");
      return Value::string(utf8::encode(cps[static_cast<size_t>(i)]));
    }
    int64_t i = key.as_int();
    const int64_t n = static_cast<int64_t>(v.items().size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined("list index " + std::to_string(key.as_int()));
    return v.items()[static_cast<size_t>(i)];
  }
  if (v.is_mapping()) {
    if (key.is_string()) {
      auto found = v.get(key.str_ref());
      if (found) return *found;
      return v.kind() == Value::Kind::kDict ? get_attribute(v, key.str_ref()) : Value::undefined(key.str_ref());
    }
    return Value::undefined(key.repr());
  }
  throw EvalError("'" + v.type_name() + "' object is not subscriptable");
}

Value slice(const Value& v, const Value& start, const Value& stop, const Value& step) {
  require_defined(v);
  const bool is_str = v.is_string();
  if (!is_str && !v.is_list()) throw EvalError("'" + v.type_name() + "' object is not subscriptable");
  std::vector<char32_t> cps;
  if (is_str) cps = utf8::code_points(v.str_ref());
  const int64_t n = is_str ? static_cast<int64_t>(cps.size()) : static_cast<int64_t>(v.items().size());
  const int64_t st = step.is_none() || step.is_undefined() ? 1 : step.as_int();
  if (st == 0) throw EvalError("slice step cannot be zero");
  // Python's slice.indices().
  const auto clamp = [&](const Value& x, int64_t dflt) {
    if (x.is_none() || x.is_undefined()) return dflt;
    int64_t i = x.as_int();
    if (i < 0) i += n;
    if (st > 0) return std::clamp<int64_t>(i, 0, n);
    return std::clamp<int64_t>(i, -1, n - 1);
  };
  const int64_t b = clamp(start, st > 0 ? 0 : n - 1);
  const int64_t e = clamp(stop, st > 0 ? n : -1);
  std::string s;
  ValueList out;
  for (int64_t i = b; st > 0 ? i < e : i > e;) {
    if (is_str) utf8::append(s, cps[static_cast<size_t>(i)]);
    else out.push_back(v.items()[static_cast<size_t>(i)]);
    // The next step leaves the range (and may not fit in int64; nor may -st).
    if (st > 0 ? e - i <= st : (st == std::numeric_limits<int64_t>::min() || i - e <= -st)) break;
    i += st;
  }
  if (is_str) return Value::string(s);
  return v.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

ValueList iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList: return v.items();
    case Value::Kind::kDict: {
      ValueList keys;
      for (const auto& [k, x] : v.entries()) keys.push_back(Value::string(k));
      return keys;
    }
    case Value::Kind::kString: {
      ValueList chars;
      for (char32_t cp : utf8::code_points(v.str_ref())) chars.push_back(Value::string(utf8::encode(cp)));
      return chars;
    }
    default: throw EvalError("'" + v.type_name() + "' object is not iterable");
  }
}

Value global(const std::string& name) {
  if (name == "range")
    return Value::function([](const CallArgs& a) {
      if (a.positional.empty() || a.positional.size() > 3) throw EvalError("range expected 1 to 3 arguments");
      int64_t start = 0, stop, step = 1;
      if (a.positional.size() == 1) {
        stop = a.positional[0].as_int();
      } else {
        start = a.positional[0].as_int();
        stop = a.positional[1].as_int();
        if (a.positional.size() == 3) step = a.positional[2].as_int();
      }
      if (step == 0) throw EvalError("range() arg 3 must not be zero");
      ValueList out;
      for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
        if (out.size() >= 100000) throw EvalError("range() longer than 100000 items");  // the sandbox's MAX_RANGE
        out.push_back(Value::integer(i));
        if (step > 0 ? stop - i <= step : i - stop <= -step) break;
        i += step;
      }
      return Value::list(std::move(out));
    });
  if (name == "namespace" || name == "dict")
    return Value::function([name](const CallArgs& a) {
      ValueDict entries;
      for (const auto& p : a.positional)
        if (p.is_mapping()) entries.insert(entries.end(), p.entries().begin(), p.entries().end());
      for (const auto& kv : a.named) {
        const std::string& k = kv.first;
        if (name == "namespace" && !k.empty() && k[0] == '_') throw EvalError("namespace attributes cannot start with '_': " + k);
        auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == k; });
        if (it != entries.end()) it->second = kv.second;
        else entries.emplace_back(k, kv.second);
      }
      return name == "dict" ? Value::dict(std::move(entries)) : Value::name_space(std::move(entries));
    });
  if (name == "raise_exception")
    return Value::function([](const CallArgs& a) -> Value {
      throw RaisedError(a.positional.empty() ? std::string("raise_exception") : a.positional[0].str());
    });
  if (name == "strftime_now")
    return Value::function([](const CallArgs& a) {
      if (a.positional.empty() || !a.positional[0].is_string()) throw EvalError("strftime_now expects a format string");
      const std::time_t now = std::time(nullptr);
      std::tm local{};
      localtime_r(&now, &local);
      char buf[256];
      const size_t n = std::strftime(buf, sizeof buf, a.positional[0].str_ref().c_str(), &local);
      return Value::string(std::string(buf, n));
    });
  return Value::undefined(name);
}

}  // namespace irq::jinja
