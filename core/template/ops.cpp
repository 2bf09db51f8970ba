// Python semantics of template values: truthiness, arithmetic, comparison, membership, iteration,
// str()/repr() and the Markup (markupsafe) rules for string concatenation.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/template/interp.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {
Status type_error(const std::string& msg) { return Status(Code::template_error, msg); }
bool int_like(const Value& v) { return v.is_int() || v.is_bool(); }
std::int64_t int_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }
Status overflow() { return type_error("integer overflow (Python big integers are not supported)"); }
}  // namespace

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::null:
    case Kind::undefined:
      return false;
    case Kind::boolean:
      return v.as_bool();
    case Kind::integer:
      return v.as_int() != 0;
    case Kind::real:
      return v.as_real() != 0.0;
    case Kind::string:
      return !v.as_string().empty();
    case Kind::array:
      return v.is_generator() || !v.as_array().empty();
    case Kind::object:
      return !v.as_object().entries.empty();
    default:
      return true;
  }
}

const char* type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::null:
      return "NoneType";
    case Kind::boolean:
      return "bool";
    case Kind::integer:
      return "int";
    case Kind::real:
      return "float";
    case Kind::string:
      return v.is_safe() ? "Markup" : "str";
    case Kind::array: {
      static const char* const kNames[] = {"list",      "tuple",       "generator", "range",
                                           "dict_keys", "dict_values", "dict_items"};
      return kNames[static_cast<int>(v.seq())];
    }
    case Kind::object:
      return "dict";
    case Kind::undefined:
      return "Undefined";
    case Kind::ns:
      return "Namespace";
    case Kind::callable:
      return v.as_callable()->kind == CallableKind::macro ? "Macro" : "function";
    case Kind::loop:
      return "LoopContext";
  }
  return "object";
}

std::string object_type_repr(const Value& v) {
  if (v.is_null()) return "None";
  return std::string(type_name(v)) + " object";
}

std::string undefined_message(const Value& v) {
  const std::string& hint = v.as_string();
  return hint.empty() ? "value is undefined" : hint;
}

Status undefined_error(const Value& v) { return Status(Code::template_error, undefined_message(v)); }

Value make_str(std::string s, bool safe) { return safe ? Value::markup(std::move(s)) : Value(std::move(s)); }

Value tuple_of(Array items) { return Value::array(std::move(items)).with_flags(false, true, false); }

Result<std::string> dict_key(const Value& k) {
  switch (k.kind()) {
    case Kind::string:
      return k.as_string();
    case Kind::integer:
      return std::string("\0i", 2) + std::to_string(k.as_int());
    case Kind::boolean:
      return std::string(k.as_bool() ? "\0b1" : "\0b0", 3);
    case Kind::null:
      return std::string("\0n", 2);
    case Kind::undefined:
      return std::string("\0u", 2);  // jinja2's Undefined is hashable
    case Kind::real: {
      double d = k.as_real();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
        return std::string("\0i", 2) + std::to_string(static_cast<std::int64_t>(d));
      return std::string("\0f", 2) + text::float_repr(d);
    }
    default:
      return type_error(std::string("unhashable type: '") + type_name(k) + "'");
  }
}

Value key_value(const std::string& k) {
  if (k.size() < 2 || k[0] != '\0') return Value(k);
  switch (k[1]) {
    case 'i':
      return Value(static_cast<std::int64_t>(std::strtoll(k.c_str() + 2, nullptr, 10)));
    case 'b':
      return Value(k.size() > 2 && k[2] == '1');
    case 'n':
      return Value();
    case 'u':
      return Value::undefined();
    case 'f':
      return Value(std::strtod(k.c_str() + 2, nullptr));
    default:
      return Value(k);
  }
}

// The other spelling of the same Python key (bool <-> int 0/1), or empty.
static std::string alias_key(const std::string& k) {
  if (k.size() == 3 && k[0] == '\0' && k[1] == 'b') return std::string("\0i", 2) + k[2];
  if (k.size() == 3 && k[0] == '\0' && k[1] == 'i' && (k[2] == '0' || k[2] == '1')) return std::string("\0b", 2) + k[2];
  return {};
}

Result<const Value*> find_key(const Object& o, const Value& key) {
  CHORD_ASSIGN_OR_RETURN(std::string k, dict_key(key));
  if (const Value* v = o.find(k)) return v;
  std::string alt = alias_key(k);
  return alt.empty() ? nullptr : o.find(alt);
}

Status set_key(Object& o, const Value& key, Value v) {
  CHORD_ASSIGN_OR_RETURN(std::string k, dict_key(key));
  std::string alt = alias_key(k);
  if (!alt.empty() && !o.find(k) && o.find(alt)) k = alt;  // Python keeps the first spelling
  o.set(k, std::move(v));
  return Status::Ok();
}

std::string key_json(const std::string& k) {
  if (k.size() < 2 || k[0] != '\0') return k;
  Value v = key_value(k);
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_null()) return "null";
  if (v.is_real()) {
    double d = v.as_real();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    return text::float_repr(d);
  }
  return k.substr(2);
}

// str + str with markupsafe's rules: Markup on either side escapes the plain operand.
static Result<Value> add_strings(const Value& a, const Value& b, std::size_t max_bytes) {
  std::string sa = a.as_string(), sb = b.as_string();
  bool safe = a.is_safe() || b.is_safe();
  if (safe && !a.is_safe()) sa = text::html_escape(sa);
  if (safe && !b.is_safe()) sb = text::html_escape(sb);
  if (sa.size() + sb.size() > max_bytes) return type_error("string too long (output size limit)");
  return make_str(sa + sb, safe);
}

Value concat_str(const Value& a, const Value& b, std::string joined) {
  return make_str(std::move(joined), a.is_safe() || b.is_safe());
}

static Status unsupported(const char* op, const Value& a, const Value& b) {
  return type_error(std::string("unsupported operand type(s) for ") + op + ": '" + type_name(a) + "' and '" +
                    type_name(b) + "'");
}

static Result<Value> repeat(const Value& seq, std::int64_t n, std::size_t max_bytes) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<std::uint64_t>(n) > max_bytes / s.size())
      return type_error("string too long (output size limit)");
    std::string out;
    out.reserve(s.size() * static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) out += s;
    return make_str(std::move(out), seq.is_safe());
  }
  const Array& a = seq.as_array();
  if (!a.empty() && static_cast<std::uint64_t>(n) > 1000000 / a.size()) return type_error("list too long");
  Array out;
  for (std::int64_t i = 0; i < n; ++i) out.insert(out.end(), a.begin(), a.end());
  return Value::array(std::move(out)).with_flags(false, seq.is_tuple(), false);
}

Result<Value> binary_op(BinOp op, const Value& a, const Value& b, std::size_t max_bytes) {
  if (op == BinOp::mod && a.is_string()) return percent_format(a, b, max_bytes);  // Undefined is a mapping there
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  bool na = a.is_number(), nb = b.is_number();
  bool ints = int_like(a) && int_like(b);
  switch (op) {
    case BinOp::add: {
      if (ints) {
        std::int64_t r;
        if (__builtin_add_overflow(int_of(a), int_of(b), &r)) return overflow();
        return Value(r);
      }
      if (na && nb) return Value(a.as_double() + b.as_double());
      if (a.is_string() && b.is_string()) return add_strings(a, b, max_bytes);
      if (is_list_or_tuple(a) && is_list_or_tuple(b) && a.is_tuple() == b.is_tuple()) {
        if (a.size() + b.size() > 1000000) return type_error("list too long");
        Array out = a.as_array();
        out.insert(out.end(), b.as_array().begin(), b.as_array().end());
        return Value::array(std::move(out)).with_flags(false, a.is_tuple(), false);
      }
      if (a.is_string() || is_list_or_tuple(a))
        return type_error(std::string("can only concatenate ") + type_name(a) + " (not \"" + type_name(b) + "\") to " +
                          type_name(a));
      return unsupported("+", a, b);
    }
    case BinOp::sub: {
      if (ints) {
        std::int64_t r;
        if (__builtin_sub_overflow(int_of(a), int_of(b), &r)) return overflow();
        return Value(r);
      }
      if (na && nb) return Value(a.as_double() - b.as_double());
      return unsupported("-", a, b);
    }
    case BinOp::mul: {
      if (ints) {
        std::int64_t r;
        if (__builtin_mul_overflow(int_of(a), int_of(b), &r)) return overflow();
        return Value(r);
      }
      if (na && nb) return Value(a.as_double() * b.as_double());
      bool seq_a = a.is_string() || is_list_or_tuple(a);
      bool seq_b = b.is_string() || is_list_or_tuple(b);
      if (seq_a && int_like(b)) return repeat(a, int_of(b), max_bytes);
      if (seq_b && int_like(a)) return repeat(b, int_of(a), max_bytes);
      if (seq_a || seq_b)
        return type_error(std::string("can't multiply sequence by non-int of type '") + type_name(seq_a ? b : a) + "'");
      return unsupported("*", a, b);
    }
    case BinOp::div: {
      if (!(na && nb)) return unsupported("/", a, b);
      if (b.as_double() == 0.0) return type_error("division by zero");
      return Value(a.as_double() / b.as_double());
    }
    case BinOp::floordiv: {
      if (!(na && nb)) return unsupported("//", a, b);
      if (ints) {
        std::int64_t x = int_of(a), y = int_of(b);
        if (y == 0) return type_error("integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) return overflow();
        std::int64_t q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
        return Value(q);
      }
      if (b.as_double() == 0.0) return type_error("float floor division by zero");
      return Value(std::floor(a.as_double() / b.as_double()));
    }
    case BinOp::mod: {
      if (a.is_string()) return percent_format(a, b, max_bytes);
      if (!(na && nb)) return unsupported("%", a, b);
      if (ints) {
        std::int64_t x = int_of(a), y = int_of(b);
        if (y == 0) return type_error("integer division or modulo by zero");
        if (y == -1) return Value(std::int64_t{0});
        std::int64_t m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        return Value(m);
      }
      double y = b.as_double();
      if (y == 0.0) return type_error("float modulo");
      double m = std::fmod(a.as_double(), y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      if (m == 0) m = std::copysign(0.0, y);  // Python: a zero remainder takes the divisor's sign
      return Value(m);
    }
    case BinOp::pow: {
      if (!(na && nb)) return unsupported("** or pow()", a, b);
      if (ints && int_of(b) >= 0) {
        std::int64_t base = int_of(a), e = int_of(b), r = 1;
        while (e > 0) {
          if (e & 1)
            if (__builtin_mul_overflow(r, base, &r)) return overflow();
          e >>= 1;
          if (e > 0 && __builtin_mul_overflow(base, base, &base)) return overflow();
        }
        return Value(r);
      }
      if (a.as_double() == 0.0 && b.as_double() < 0) return type_error("0.0 cannot be raised to a negative power");
      if (a.as_double() < 0 && b.is_real() && std::trunc(b.as_real()) != b.as_real())
        return type_error("complex numbers are not supported (a negative number to a fractional power)");
      return Value(std::pow(a.as_double(), b.as_double()));
    }
  }
  return unsupported("?", a, b);
}

bool py_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (int_like(a) && int_like(b)) return int_of(a) == int_of(b);
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::null:
    case Kind::undefined:
      return true;
    case Kind::string:
      return a.as_string() == b.as_string();
    case Kind::array: {
      // Generators and dict_values compare by identity; dict_keys/items as sets; the rest in order.
      if (a.seq() != b.seq()) return false;
      if (a.is_generator() || a.seq() == Seq::dict_values) return &a.as_array() == &b.as_array();
      if (a.size() != b.size()) return false;
      const Array &x = a.as_array(), &y = b.as_array();
      if (a.seq() == Seq::dict_keys || a.seq() == Seq::dict_items) {
        for (const Value& e : x) {
          bool found = false;
          for (const Value& f : y) found = found || py_equal(e, f);
          if (!found) return false;
        }
        return true;
      }
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!py_equal(x[i], y[i])) return false;
      return true;
    }
    case Kind::object: {
      const Object &x = a.as_object(), &y = b.as_object();
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& e : x.entries) {
        const Value* o = y.find(e.first);
        if (!o || !py_equal(e.second, *o)) return false;
      }
      return true;
    }
    case Kind::ns:
      return a.as_namespace() == b.as_namespace();
    case Kind::callable:
      return a.as_callable() == b.as_callable();
    case Kind::loop:
      return a.as_loop() == b.as_loop();
    default:
      return false;
  }
}

Result<int> py_compare(const Value& a, const Value& b) {
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (a.is_number() && b.is_number()) {
    if (int_like(a) && int_like(b)) return int_of(a) < int_of(b) ? -1 : int_of(a) > int_of(b) ? 1 : 0;
    double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (is_list_or_tuple(a) && is_list_or_tuple(b) && a.is_tuple() == b.is_tuple()) {
    const Array &x = a.as_array(), &y = b.as_array();
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (py_equal(x[i], y[i])) continue;
      return py_compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  return type_error(std::string("'<' not supported between instances of '") + type_name(a) + "' and '" + type_name(b) +
                    "'");
}

// hash(v) succeeds for a value no dict here can hold as a key (keys are scalars): tuples of
// hashables, ranges, generators, functions and the loop object; lists, dicts and views raise.
static Status check_hashable(const Value& v) {
  if (v.is_tuple()) {
    for (const Value& e : v.as_array()) {
      if (e.is_array() || e.is_object() || e.kind() == Kind::ns) CHORD_TRY(check_hashable(e));
    }
    return Status::Ok();
  }
  if (v.is_array() && (v.seq() == Seq::range || v.is_generator())) return Status::Ok();
  if (v.kind() == Kind::callable || v.kind() == Kind::loop) return Status::Ok();
  if (v.is_array() || v.is_object() || v.kind() == Kind::ns)
    return type_error(std::string("unhashable type: '") + type_name(v) + "'");
  return Status::Ok();
}

Result<bool> py_contains(const Value& c, const Value& item) {
  switch (c.kind()) {
    case Kind::string:
      if (!item.is_string())
        return type_error(std::string("'in <string>' requires string as left operand, not ") + type_name(item));
      return c.as_string().find(item.as_string()) != std::string::npos;
    case Kind::array:
      if (const std::string* e = c.deferred_error()) return type_error(*e);
      for (const auto& v : c.as_array())
        if (py_equal(v, item)) return true;
      return false;
    case Kind::object:
      if (item.is_undefined()) return false;
      if (item.is_array() || item.is_object() || item.kind() == Kind::ns || item.kind() == Kind::callable ||
          item.kind() == Kind::loop) {
        CHORD_TRY(check_hashable(item));
        return false;
      }
      {
        CHORD_ASSIGN_OR_RETURN(const Value* found, find_key(c.as_object(), item));
        return found != nullptr;
      }
    case Kind::undefined:
      return false;
    default:
      return type_error(std::string("argument of type '") + type_name(c) + "' is not iterable");
  }
}

Result<Value> py_iterable(const Value& v) {
  switch (v.kind()) {
    case Kind::array:
      if (const std::string* e = v.deferred_error()) return type_error(*e);
      return v;
    case Kind::undefined:
      return Value::array();
    case Kind::object: {
      Array keys;
      for (const auto& e : v.as_object().entries) keys.push_back(key_value(e.first));
      return Value::array(std::move(keys));
    }
    case Kind::string: {
      Array chars;
      auto cps = text::decode(v.as_string());
      for (char32_t c : cps) {
        std::string s;
        text::append_utf8(s, c);
        chars.emplace_back(std::move(s));  // iterating a Markup yields plain str characters
      }
      return Value::array(std::move(chars));
    }
    default:
      return type_error(std::string("'") + type_name(v) + "' object is not iterable");
  }
}

static Status append_repr(const Value& v, std::string& out, std::size_t max_bytes, int depth, bool top_str);

static Status append_container(const Value& v, std::string& out, std::size_t max_bytes, int depth) {
  if (v.is_array()) {
    std::int64_t start, stop, step;
    if (v.is_generator()) {
      out += "<generator object>";
      return Status::Ok();
    }
    if (v.range_bounds(start, stop, step)) {
      out += "range(" + std::to_string(start) + ", " + std::to_string(stop);
      out += step == 1 ? ")" : ", " + std::to_string(step) + ")";
      return Status::Ok();
    }
    if (!is_list_or_tuple(v)) {  // dict_keys([...]) and the like
      out += type_name(v);
      out.push_back('(');
      CHORD_TRY(append_container(v.with_seq(Seq::list), out, max_bytes, depth));
      out.push_back(')');
      return Status::Ok();
    }
    const Array& a = v.as_array();
    out.push_back(v.is_tuple() ? '(' : '[');
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out += ", ";
      CHORD_TRY(append_repr(a[i], out, max_bytes, depth + 1, false));
    }
    if (v.is_tuple() && a.size() == 1) out.push_back(',');
    out.push_back(v.is_tuple() ? ')' : ']');
    return Status::Ok();
  }
  const Object& o = v.kind() == Kind::ns ? v.as_namespace()->attrs : v.as_object();
  if (v.kind() == Kind::ns) out += "<Namespace ";
  out.push_back('{');
  bool first = true;
  for (const auto& e : o.entries) {
    if (!first) out += ", ";
    first = false;
    CHORD_TRY(append_repr(key_value(e.first), out, max_bytes, depth + 1, false));
    out += ": ";
    CHORD_TRY(append_repr(e.second, out, max_bytes, depth + 1, false));
  }
  out.push_back('}');
  if (v.kind() == Kind::ns) out.push_back('>');
  return Status::Ok();
}

static Status append_repr(const Value& v, std::string& out, std::size_t max_bytes, int depth, bool top_str) {
  if (depth > kMaxValueDepth) return type_error("value nested too deeply to print");
  if (out.size() > max_bytes) return type_error("string too long (output size limit)");
  switch (v.kind()) {
    case Kind::null:
      out += "None";
      break;
    case Kind::boolean:
      out += v.as_bool() ? "True" : "False";
      break;
    case Kind::integer:
      out += std::to_string(v.as_int());
      break;
    case Kind::real:
      out += text::float_repr(v.as_real());
      break;
    case Kind::string:
      if (top_str)
        out += v.as_string();
      else if (v.is_safe())
        out += "Markup(" + text::str_repr(v.as_string()) + ")";
      else
        out += text::str_repr(v.as_string());
      break;
    case Kind::undefined:
      if (!top_str) out += "Undefined";
      break;
    case Kind::array:
    case Kind::object:
    case Kind::ns:
      CHORD_TRY(append_container(v, out, max_bytes, depth));
      break;
    case Kind::callable: {
      const Callable* c = v.as_callable();
      if (c->kind == CallableKind::macro)
        out += "<Macro " + text::str_repr(c->name) + ">";
      else
        out += "<built-in method " + c->name + ">";
      break;
    }
    case Kind::loop: {
      LoopState* l = v.as_loop();
      out += "<LoopContext " + std::to_string(l->index0 + 1) + "/" + std::to_string(l->items.size()) + ">";
      break;
    }
  }
  if (out.size() > max_bytes) return type_error("string too long (output size limit)");
  return Status::Ok();
}

Status py_str(const Value& v, std::string& out, std::size_t max_bytes) {
  return append_repr(v, out, max_bytes, 0, true);
}

Status py_repr(const Value& v, std::string& out, std::size_t max_bytes) {
  return append_repr(v, out, max_bytes, 0, false);
}

Result<std::string> to_str(const Value& v, std::size_t max_bytes) {
  if (v.is_string()) return v.as_string();
  std::string s;
  CHORD_TRY(py_str(v, s, max_bytes));
  return s;
}

Status bind_args(const CallArgs& a, std::initializer_list<const char*> names, std::vector<const Value*>& out,
                 std::string_view fn) {
  out.assign(names.size(), nullptr);
  if (a.pos.size() > names.size())
    return type_error(std::string(fn) + "() takes at most " + std::to_string(names.size()) + " arguments (" +
                      std::to_string(a.pos.size()) + " given)");
  for (std::size_t i = 0; i < a.pos.size(); ++i) out[i] = &a.pos[i];
  for (const auto& kw : a.kw) {
    std::size_t i = 0;
    for (const char* n : names) {
      if (kw.first == n) break;
      ++i;
    }
    if (i == names.size())
      return type_error(std::string(fn) + "() got an unexpected keyword argument '" + kw.first + "'");
    if (out[i]) return type_error(std::string(fn) + "() got multiple values for argument '" + kw.first + "'");
    out[i] = &kw.second;
  }
  return Status::Ok();
}

}  // namespace chord::tmpl
