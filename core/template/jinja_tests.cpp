// Jinja tests (`x is defined`, `x is string`, `x is equalto y`, ...) as jinja2 3.1 defines them.
#include "core/template/filters_util.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {

using TestFn = Result<bool> (*)(Renderer&, const Value&, CallArgs&);

const Value& need_arg(CallArgs& a, const Value& fallback) { return a.pos.empty() ? fallback : a.pos[0]; }

Result<bool> t_defined(Renderer&, const Value& v, CallArgs&) { return !v.is_undefined(); }
Result<bool> t_undefined(Renderer&, const Value& v, CallArgs&) { return v.is_undefined(); }
Result<bool> t_none(Renderer&, const Value& v, CallArgs&) { return v.is_null(); }
Result<bool> t_boolean(Renderer&, const Value& v, CallArgs&) { return v.is_bool(); }
Result<bool> t_true(Renderer&, const Value& v, CallArgs&) { return v.is_bool() && v.as_bool(); }
Result<bool> t_false(Renderer&, const Value& v, CallArgs&) { return v.is_bool() && !v.as_bool(); }
Result<bool> t_integer(Renderer&, const Value& v, CallArgs&) { return v.is_int(); }
Result<bool> t_float(Renderer&, const Value& v, CallArgs&) { return v.is_real(); }
Result<bool> t_number(Renderer&, const Value& v, CallArgs&) { return v.is_number(); }
Result<bool> t_string(Renderer&, const Value& v, CallArgs&) { return v.is_string(); }
Result<bool> t_mapping(Renderer&, const Value& v, CallArgs&) { return v.is_object(); }
// Undefined and the loop object have __call__ too.
Result<bool> t_callable(Renderer&, const Value& v, CallArgs&) {
  return v.kind() == Kind::callable || v.is_undefined() || v.kind() == Kind::loop;
}
Result<bool> t_escaped(Renderer&, const Value& v, CallArgs&) { return v.is_safe(); }

// iter(value) succeeds: str, list/tuple/generator, dict, Undefined.
Result<bool> t_iterable(Renderer&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_array() || v.is_object() || v.is_undefined();
}

// len(value) and value.__getitem__ both exist: str, list, tuple, range, dict, Undefined (jinja2 quirk).
Result<bool> t_sequence(Renderer&, const Value& v, CallArgs&) {
  return v.is_string() || is_indexable(v) || v.is_object() || v.is_undefined();
}

Result<bool> t_eq(Renderer&, const Value& v, CallArgs& a) { return py_equal(v, need_arg(a, Value::undefined())); }
Result<bool> t_ne(Renderer&, const Value& v, CallArgs& a) { return !py_equal(v, need_arg(a, Value::undefined())); }

Result<bool> compare_with(const Value& v, CallArgs& a, int want_lo, int want_hi) {
  if (a.pos.empty()) return err("test requires an argument");
  CHORD_ASSIGN_OR_RETURN(int c, py_compare(v, a.pos[0]));
  return c >= want_lo && c <= want_hi;
}
Result<bool> t_lt(Renderer&, const Value& v, CallArgs& a) { return compare_with(v, a, -1, -1); }
Result<bool> t_le(Renderer&, const Value& v, CallArgs& a) { return compare_with(v, a, -1, 0); }
Result<bool> t_gt(Renderer&, const Value& v, CallArgs& a) { return compare_with(v, a, 1, 1); }
Result<bool> t_ge(Renderer&, const Value& v, CallArgs& a) { return compare_with(v, a, 0, 1); }

Result<bool> t_in(Renderer&, const Value& v, CallArgs& a) {
  if (a.pos.empty()) return err("in() missing required argument 'seq'");
  return py_contains(a.pos[0], v);
}

// value % 2 == 1 / == 0, with Python's modulo (floats included).
Result<bool> t_odd(Renderer& r, const Value& v, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(Value m, binary_op(BinOp::mod, v, Value(std::int64_t{2}), r.max_string()));
  return py_equal(m, Value(std::int64_t{1}));
}

Result<bool> t_even(Renderer& r, const Value& v, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(Value m, binary_op(BinOp::mod, v, Value(std::int64_t{2}), r.max_string()));
  return py_equal(m, Value(std::int64_t{0}));
}

Result<bool> t_divisibleby(Renderer& r, const Value& v, CallArgs& a) {
  if (a.pos.empty()) return err("divisibleby() missing required argument 'num'");
  CHORD_ASSIGN_OR_RETURN(Value m, binary_op(BinOp::mod, v, a.pos[0], r.max_string()));
  return py_equal(m, Value(std::int64_t{0}));
}

Result<bool> t_lower(Renderer& r, const Value& v, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, v));
  bool cased = false;
  for (char32_t c : text::decode(s)) {
    if (text::is_upper(c)) return false;
    cased = cased || text::is_lower(c);
  }
  return cased;
}

Result<bool> t_upper(Renderer& r, const Value& v, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, v));
  bool cased = false;
  for (char32_t c : text::decode(s)) {
    if (text::is_lower(c)) return false;
    cased = cased || text::is_upper(c);
  }
  return cased;
}

// `is` identity: scalars compare by value (CPython caches them), containers by storage.
Result<bool> t_sameas(Renderer&, const Value& v, CallArgs& a) {
  if (a.pos.empty()) return err("sameas() missing required argument 'other'");
  const Value& o = a.pos[0];
  if (v.kind() != o.kind()) return false;
  if (v.is_array()) return &v.as_array() == &o.as_array();
  if (v.is_object()) return &v.as_object() == &o.as_object();
  return py_equal(v, o);
}

Result<bool> t_filter(Renderer&, const Value& v, CallArgs&) { return v.is_string() && filter_id(v.as_string()) >= 0; }
Result<bool> t_test(Renderer&, const Value& v, CallArgs&) { return v.is_string() && test_id(v.as_string()) >= 0; }

struct TestDef {
  const char* name;
  TestFn fn;
  int nargs;  // arguments after the value (jinja2 raises TypeError on any other count)
};

const TestDef kTests[] = {
    {"boolean", t_boolean, 0},
    {"callable", t_callable, 0},
    {"defined", t_defined, 0},
    {"divisibleby", t_divisibleby, 1},
    {"eq", t_eq, 1},
    {"equalto", t_eq, 1},
    {"==", t_eq, 1},
    {"escaped", t_escaped, 0},
    {"even", t_even, 0},
    {"false", t_false, 0},
    {"filter", t_filter, 0},
    {"float", t_float, 0},
    {"ge", t_ge, 1},
    {">=", t_ge, 1},
    {"gt", t_gt, 1},
    {"greaterthan", t_gt, 1},
    {">", t_gt, 1},
    {"in", t_in, 1},
    {"integer", t_integer, 0},
    {"iterable", t_iterable, 0},
    {"le", t_le, 1},
    {"<=", t_le, 1},
    {"lower", t_lower, 0},
    {"lt", t_lt, 1},
    {"lessthan", t_lt, 1},
    {"<", t_lt, 1},
    {"mapping", t_mapping, 0},
    {"ne", t_ne, 1},
    {"!=", t_ne, 1},
    {"none", t_none, 0},
    {"number", t_number, 0},
    {"odd", t_odd, 0},
    {"sameas", t_sameas, 1},
    {"sequence", t_sequence, 0},
    {"string", t_string, 0},
    {"test", t_test, 0},
    {"true", t_true, 0},
    {"undefined", t_undefined, 0},
    {"upper", t_upper, 0},
};

}  // namespace

int test_id(std::string_view name) {
  for (std::size_t i = 0; i < sizeof(kTests) / sizeof(kTests[0]); ++i)
    if (name == kTests[i].name) return static_cast<int>(i);
  return -1;
}

Result<bool> Renderer::apply_test(int id, const std::string& name, const Value& input, CallArgs& args) {
  if (id < 0 || static_cast<std::size_t>(id) >= sizeof(kTests) / sizeof(kTests[0]))
    return err("No test named '" + name + "' found.");
  CHORD_TRY(step());
  int given = static_cast<int>(args.pos.size() + args.kw.size());
  if (given != kTests[id].nargs)
    return err("test '" + name + "' expects " + std::to_string(kTests[id].nargs) + " argument(s), got " +
               std::to_string(given));
  return kTests[id].fn(*this, input, args);
}

}  // namespace chord::tmpl
