// The values a chat template computes with, as Jinja2 sees Python's: None,
// bool, int, float, str, list, dict (insertion-ordered, as Python's), a
// namespace() (a dict shared by reference, so `set ns.x` is seen everywhere),
// a callable, and Jinja's Undefined (a missing variable, key or attribute:
// prints as "", is false, iterates as empty). str() and repr() follow
// Python's spelling (True, None, ['a', 'b'], {'k': 1}); to_json follows
// json.dumps as transformers' tojson filter calls it (ensure_ascii=False).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace irq::jinja {

// A template failed while rendering (Python's wording); the renderer adds
// the template's name and line.
struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Value;
using ValueList = std::vector<Value>;
using ValueDict = std::vector<std::pair<std::string, Value>>;  // insertion order
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;
};
using Function = std::function<Value(const CallArgs&)>;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kFunction };

  Value() = default;  // Undefined
  static Value undefined(std::string what);  // Undefined that remembers what was looked up, for messages
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value list(ValueList items);
  static Value tuple(ValueList items);  // a list that prints as (a, b)
  static Value dict(ValueDict items);
  static Value name_space(ValueDict items);
  static Value function(Function f);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kList && tuple_; }
  bool is_mapping() const { return kind_ == Kind::kDict || kind_ == Kind::kNamespace; }

  bool as_bool() const { return b_; }
  int64_t as_int() const;    // bool and int; a float truncated
  double as_double() const;  // bool, int, float
  const std::string& str_ref() const { return s_; }  // a string's text; Undefined: what was looked up
  const ValueList& items() const { return *list_; }
  const ValueDict& entries() const { return *dict_; }
  ValueDict& mutable_entries() const { return *dict_; }  // namespaces only: `set ns.x = ...`
  const Function& callable() const { return *fn_; }

  // The value under `key` of a dict or namespace, or nullopt.
  std::optional<Value> get(const std::string& key) const;
  bool truthy() const;          // Python's bool(); Undefined is false
  std::string str() const;      // Python's str(); Undefined is ""
  std::string repr() const;     // Python's repr()
  std::string type_name() const;  // "str", "dict", "undefined", ... for messages
  // json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=...);
  // indent < 0: one line with ", " and ": ". A namespace or function is
  // refused (EvalError), as json.dumps refuses them.
  std::string to_json(int indent = -1, bool sort_keys = false) const;

 private:
  explicit Value(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool tuple_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<Function> fn_;
};

bool operator==(const Value& a, const Value& b);  // Python's ==, 1 == 1.0 == True
inline bool operator!=(const Value& a, const Value& b) { return !(a == b); }

// Python's repr() of a string: single quotes unless it holds ' and no ".
std::string python_string_repr(const std::string& s);
// Python's repr() of a float: the shortest round-trip digits, "1.0", "1e+16", "inf".
std::string python_float_repr(double d);

}  // namespace irq::jinja
