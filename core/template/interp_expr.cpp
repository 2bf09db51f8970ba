// Expression evaluation: names, attribute/item access (jinja2 sandbox getattr/getitem rules),
// slicing, calls (builtins, bound methods, macros), operators, filters and tests.
#include "core/template/interp.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {
Status error(const std::string& msg) { return Status(Code::template_error, msg); }
bool int_like(const Value& v) { return v.is_int() || v.is_bool(); }
std::int64_t int_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }

Value undefined_attr(const Value& obj, std::string_view name) {
  return Value::undefined("'" + object_type_repr(obj) + "' has no attribute '" + std::string(name) + "'");
}

Value undefined_item(const Value& obj, const Value& key) {
  if (key.is_string()) return undefined_attr(obj, key.as_string());
  std::string k;
  (void)py_repr(key, k, 256);
  return Value::undefined(object_type_repr(obj) + " has no element " + k);
}

Value bound(const Value& self, std::string_view name, bool unsafe) {
  auto c = std::make_shared<Callable>();
  c->kind = unsafe ? CallableKind::unsafe : CallableKind::method;
  c->name = std::string(name);
  c->self = self;
  return Value::from_callable(std::move(c));
}

// Python slice.indices(len)'s start and stop for a nonzero step: ends = {start, stop}.
Status slice_bounds(const Value& start, const Value& stop, std::int64_t st, std::int64_t len,
                    std::vector<std::int64_t>& ends) {
  std::int64_t lower = st > 0 ? 0 : -1, upper = st > 0 ? len : len - 1;
  auto norm = [&](const Value& v, std::int64_t dflt) {
    if (v.is_null()) return dflt;
    std::int64_t x = int_of(v);
    if (x < 0) {
      x += len;
      if (x < lower) x = lower;
    } else if (x > upper) {
      x = upper;
    }
    return x;
  };
  ends = {norm(start, st > 0 ? lower : upper), norm(stop, st > 0 ? upper : lower)};
  return Status::Ok();
}

// Python slice.indices() followed by the selection.
Status slice_indices(const Value& start, const Value& stop, const Value& step, std::int64_t len,
                     std::vector<std::int64_t>& idx) {
  for (const Value* v : {&start, &stop, &step})
    if (!v->is_null() && !int_like(*v))
      return error("slice indices must be integers or None or have an __index__ method");
  std::int64_t st = step.is_null() ? 1 : int_of(step);
  if (st == 0) return error("slice step cannot be zero");
  std::vector<std::int64_t> ends;
  CHORD_TRY(slice_bounds(start, stop, st, len, ends));
  for (__int128 i = ends[0]; st > 0 ? i < ends[1] : i > ends[1]; i += st) idx.push_back(static_cast<std::int64_t>(i));
  return Status::Ok();
}
// jinja2's has_safe_repr: None, bool, numbers, str, range, and lists/tuples/dicts of those.
bool safe_repr(const Value& v) {
  switch (v.kind()) {
    case Kind::null:
    case Kind::boolean:
    case Kind::integer:
    case Kind::real:
    case Kind::string:
      return true;
    case Kind::array:
      if (v.seq() == Seq::range) return true;
      if (!is_list_or_tuple(v)) return false;
      for (const Value& e : v.as_array())
        if (!safe_repr(e)) return false;
      return true;
    case Kind::object:
      for (const auto& e : v.as_object().entries)
        if (!safe_repr(e.second)) return false;
      return true;
    default:
      return false;
  }
}

// Names the construct an error came from, for messages like "line 3 (filter 'length'): ...".
std::string describe(const Expr& e) {
  static const char* const kBin[] = {"+", "-", "*", "/", "//", "%", "**"};
  switch (e.kind) {
    case ExprKind::name:
      return "variable '" + e.name + "'";
    case ExprKind::getattr:
      return "attribute '." + e.name + "'";
    case ExprKind::getitem:
      return "subscript []";
    case ExprKind::call: {
      const Expr& f = *e.args[0];
      if (f.kind == ExprKind::name) return "call to '" + f.name + "'";
      if (f.kind == ExprKind::getattr) return "call to '." + f.name + "()'";
      return "call";
    }
    case ExprKind::filter:
      return "filter '" + e.name + "'";
    case ExprKind::test:
      return "test '" + e.name + "'";
    case ExprKind::binop:
      return std::string("operator '") + kBin[static_cast<int>(e.op)] + "'";
    case ExprKind::concat:
      return "operator '~'";
    case ExprKind::compare:
      return "comparison";
    case ExprKind::neg:
    case ExprKind::pos:
      return "unary operator";
    case ExprKind::dict:
      return "dict literal";
    default:
      return "expression";
  }
}
}  // namespace

Result<Value> Renderer::lookup(std::string_view name) {
  for (Frame* f = frame_.get(); f; f = f->parent.get())
    if (const Value* v = f->find(name)) return *v;
  if (const Value* v = globals_.find(name)) return *v;
  int id = builtin_id(name);
  if (id >= 0) {
    auto c = std::make_shared<Callable>();
    c->kind = CallableKind::builtin;
    c->builtin_id = id;
    c->name = std::string(name);
    return Value::from_callable(std::move(c));
  }
  return Value::undefined("'" + std::string(name) + "' is undefined");
}

Result<Value> Renderer::get_attr(const Value& obj, std::string_view name) {
  bool unsafe = false;
  switch (obj.kind()) {
    case Kind::undefined:
      return undefined_error(obj);
    case Kind::object:
      if (has_method(obj, name, unsafe)) return bound(obj, name, unsafe);
      if (const Value* v = obj.find(name)) return *v;
      return undefined_attr(obj, name);
    case Kind::ns:
      if (const Value* v = obj.as_namespace()->attrs.find(name)) return *v;
      return undefined_attr(obj, name);
    case Kind::loop:
      return loop_attr(obj, name);
    default:
      if (!name.empty() && name[0] == '_') return undefined_attr(obj, name);
      if (has_method(obj, name, unsafe)) return bound(obj, name, unsafe);
      if (std::int64_t b[3]; obj.range_bounds(b[0], b[1], b[2])) {
        if (name == "start") return Value(b[0]);
        if (name == "stop") return Value(b[1]);
        if (name == "step") return Value(b[2]);
      }
      return undefined_attr(obj, name);
  }
}

Result<Value> Renderer::get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (obj.is_object()) {
    if (key.is_string()) {
      if (const Value* v = obj.find(key.as_string())) return *v;
      return get_attr(obj, key.as_string());
    }
    Result<const Value*> found = find_key(obj.as_object(), key);
    if (found.ok() && found.value()) return *found.value();
    return undefined_item(obj, key);
  }
  if (is_indexable(obj) || obj.is_string()) {
    if (int_like(key)) {
      std::int64_t i = int_of(key);
      if (obj.is_array()) {
        std::int64_t n = static_cast<std::int64_t>(obj.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return undefined_item(obj, key);
        return obj.as_array()[static_cast<std::size_t>(i)];
      }
      const std::string& s = obj.as_string();
      bool ascii = true;
      for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
      if (ascii) {
        std::int64_t n = static_cast<std::int64_t>(s.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return undefined_item(obj, key);
        return make_str(std::string(1, s[static_cast<std::size_t>(i)]), obj.is_safe());
      }
      auto cps = text::decode(s);
      std::int64_t n = static_cast<std::int64_t>(cps.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return undefined_item(obj, key);
      std::string ch;
      text::append_utf8(ch, cps[static_cast<std::size_t>(i)]);
      return make_str(std::move(ch), obj.is_safe());
    }
    if (key.is_string()) return get_attr(obj, key.as_string());
    return undefined_item(obj, key);
  }
  if (key.is_string()) return get_attr(obj, key.as_string());
  return undefined_item(obj, key);
}

Result<Value> Renderer::call_value(const Value& fn, CallArgs& args, int line) {
  const Callable* c = fn.as_callable();
  if (!c) {
    if (fn.is_undefined()) return undefined_error(fn);
    return error(std::string("'") + type_name(fn) + "' object is not callable");
  }
  switch (c->kind) {
    case CallableKind::builtin:
      return call_builtin(*this, c->builtin_id, args);
    case CallableKind::method:
      return call_method(*this, c->self, c->name, args);
    case CallableKind::macro:
      return call_macro(*c, args, nullptr);
    case CallableKind::caller:
      return call_macro(*c, args, nullptr);
    case CallableKind::unsafe:
      return error("access to attribute '" + c->name + "' of '" + type_name(c->self) + "' object is unsafe.");
  }
  return error("not callable");
}

Result<Value> Renderer::call_macro(const Callable& m, CallArgs& args, const Value* caller) {
  if (call_depth_ >= opts_.max_call_depth) return error("maximum macro call depth exceeded (recursive macro?)");
  const Stmt& s = *m.stmt;
  bool is_caller = m.kind == CallableKind::caller;
  std::string label = is_caller ? std::string("caller") : "macro '" + m.name + "'";
  auto frame = std::make_shared<Frame>();
  frame->parent = m.closure ? m.closure->shared_from_this() : nullptr;
  std::size_t n = s.params.size();
  std::vector<bool> given(n, false);
  Array varargs;
  for (std::size_t i = 0; i < args.pos.size(); ++i) {
    if (i < n) {
      frame->set(s.params[i], args.pos[i]);
      given[i] = true;
    } else if (s.uses_varargs) {
      varargs.push_back(args.pos[i]);
    } else {
      return error(label + " takes not more than " + std::to_string(n) + " argument(s)");
    }
  }
  Object kwargs;
  bool have_caller = caller != nullptr;
  for (auto& kw : args.kw) {
    std::size_t i = 0;
    while (i < n && s.params[i] != kw.first) ++i;
    if (i < n) {
      if (given[i]) return error(label + " got multiple values for argument '" + kw.first + "'");
      frame->set(kw.first, kw.second);
      given[i] = true;
    } else if (kw.first == "caller" && !is_caller) {
      have_caller = true;
      frame->set("caller", kw.second);
    } else if (s.uses_kwargs) {
      kwargs.set(kw.first, kw.second);
    } else {
      return error(label + " takes no keyword argument '" + kw.first + "'");
    }
  }
  if (caller) frame->set("caller", *caller);
  if (!have_caller && s.uses_caller && !is_caller) frame->set("caller", Value::undefined("No caller defined"));
  if (s.uses_varargs) frame->set("varargs", tuple_of(std::move(varargs)));
  if (s.uses_kwargs) frame->set("kwargs", Value::object(std::move(kwargs)));
  // Defaults are evaluated inside the macro scope, so they may refer to earlier parameters.
  std::size_t first_default = n - s.defaults.size();
  std::shared_ptr<Frame> saved = frame_;
  frame_ = frame;
  for (std::size_t i = 0; i < n; ++i) {
    if (given[i]) continue;
    if (i >= first_default) {
      Result<Value> d = eval(*s.defaults[i - first_default]);
      if (!d.ok()) {
        frame_ = saved;
        return d.status();
      }
      frame->set(s.params[i], std::move(d).value());
    } else {
      frame->set(s.params[i], Value::undefined("parameter '" + s.params[i] + "' was not provided"));
    }
  }
  frame_ = saved;
  ++call_depth_;
  std::string out;
  Status st = render_to_string(s.body, frame, out);
  --call_depth_;
  CHORD_TRY(st);
  return Value(std::move(out));
}

Result<Value> Renderer::eval(const Expr& e) {
  DepthScope guard(*this);
  if (!guard.ok) return error("template too deeply nested or recursive");
  CHORD_TRY(step());
  if (const_mode_ && !e.foldable) return Status(Code::unsupported, kNotConstant);
  if (!const_mode_ && e.has_slice) {
    // jinja2's optimizer replaces a constant subexpression by its value when that value has a
    // safe repr (so not Undefined); folded, a bad slice was Undefined instead of an error.
    const_mode_ = true;
    Result<Value> folded = eval(e);
    const_mode_ = false;
    if (folded.ok() && safe_repr(folded.value())) return folded;
    located_ = false;
  }
  Result<Value> r = [&]() -> Result<Value> {
    switch (e.kind) {
      case ExprKind::constant:
        return e.value;
      case ExprKind::name:
        return lookup(e.name);
      case ExprKind::list:
      case ExprKind::tuple: {
        Array items;
        items.reserve(e.args.size());
        for (const auto& a : e.args) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*a));
          items.push_back(std::move(v));
        }
        Value v = Value::array(std::move(items));
        return e.kind == ExprKind::tuple ? v.with_flags(false, true, false) : v;
      }
      case ExprKind::dict: {
        Object obj;
        for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
          CHORD_ASSIGN_OR_RETURN(Value k, eval(*e.args[i]));
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*e.args[i + 1]));
          CHORD_TRY(set_key(obj, k, std::move(v)));
        }
        return Value::object(std::move(obj));
      }
      case ExprKind::getattr: {
        CHORD_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0]));
        return get_attr(obj, e.name);
      }
      case ExprKind::getitem: {
        CHORD_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0]));
        const Expr& k = *e.args[1];
        if (k.kind != ExprKind::slice) {
          CHORD_ASSIGN_OR_RETURN(Value key, eval(k));
          return get_item(obj, key);
        }
        Value parts[3];
        for (int i = 0; i < 3; ++i)
          if (k.args[i]) {
            CHORD_ASSIGN_OR_RETURN(parts[i], eval(*k.args[i]));
          }
        // jinja2 compiles a slice to a plain Python subscript (no sandbox getitem), so anything
        // but str/list/tuple/range raises.
        if (obj.is_undefined()) return undefined_error(obj);
        bool is_str = obj.is_string();
        if (!is_str && !is_indexable(obj) && const_mode_) return undefined_item(obj, Value("slice"));
        if (obj.is_object()) return error("unhashable type: 'slice'");
        if (!is_str && !is_indexable(obj))
          return error(std::string("'") + type_name(obj) + "' object is not subscriptable");
        std::vector<char32_t> cps;
        if (is_str) cps = text::decode(obj.as_string());
        std::int64_t len = is_str ? static_cast<std::int64_t>(cps.size()) : static_cast<std::int64_t>(obj.size());
        std::vector<std::int64_t> idx;
        CHORD_TRY(slice_indices(parts[0], parts[1], parts[2], len, idx));
        CHORD_TRY(step(idx.size()));
        if (is_str) {
          std::string out;
          for (auto i : idx) text::append_utf8(out, cps[static_cast<std::size_t>(i)]);
          return make_str(std::move(out), obj.is_safe());
        }
        Array out;
        for (auto i : idx) out.push_back(obj.as_array()[static_cast<std::size_t>(i)]);
        if (std::int64_t b[3]; obj.range_bounds(b[0], b[1], b[2])) {  // range[i:j:k] is a range
          std::int64_t st = parts[2].is_null() ? 1 : parts[2].is_bool() ? parts[2].as_bool() : parts[2].as_int();
          std::vector<std::int64_t> ends;  // slice.indices(len): where the slice starts and stops
          CHORD_TRY(slice_bounds(parts[0], parts[1], st, len, ends));
          return Value::range(b[0] + ends[0] * b[2], b[0] + ends[1] * b[2], b[2] * st, std::move(out));
        }
        return Value::array(std::move(out)).with_flags(false, obj.is_tuple(), false);
      }
      case ExprKind::slice:
        return error("unexpected slice");
      case ExprKind::call: {
        CHORD_ASSIGN_OR_RETURN(Value fn, eval(*e.args[0]));
        CallArgs args;
        for (std::size_t i = 1; i < e.args.size(); ++i) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*e.args[i]));
          args.pos.push_back(std::move(v));
        }
        for (const auto& kw : e.kwargs) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*kw.second));
          args.kw.emplace_back(kw.first, std::move(v));
        }
        return call_value(fn, args, e.line);
      }
      case ExprKind::filter:
      case ExprKind::test: {
        Value input;
        if (e.args[0]) {
          CHORD_ASSIGN_OR_RETURN(input, eval(*e.args[0]));
        } else {
          input = block_input_;
        }
        CallArgs args;
        for (std::size_t i = 1; i < e.args.size(); ++i) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*e.args[i]));
          args.pos.push_back(std::move(v));
        }
        for (const auto& kw : e.kwargs) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*kw.second));
          args.kw.emplace_back(kw.first, std::move(v));
        }
        if (e.kind == ExprKind::filter) return apply_filter(e.fn_id, e.name, input, args);
        CHORD_ASSIGN_OR_RETURN(bool b, apply_test(e.fn_id, e.name, input, args));
        return Value(b);
      }
      case ExprKind::not_: {
        CHORD_ASSIGN_OR_RETURN(Value v, eval(*e.args[0]));
        return Value(!truthy(v));
      }
      case ExprKind::neg:
      case ExprKind::pos: {
        CHORD_ASSIGN_OR_RETURN(Value v, eval(*e.args[0]));
        if (v.is_undefined()) return undefined_error(v);
        bool neg = e.kind == ExprKind::neg;
        if (int_like(v)) {
          std::int64_t i = int_of(v);
          if (neg && i == INT64_MIN) return error("integer overflow (Python big integers are not supported)");
          return Value(neg ? -i : i);
        }
        if (v.is_real()) return Value(neg ? -v.as_real() : v.as_real());
        return error(std::string("bad operand type for unary ") + (neg ? "-" : "+") + ": '" + type_name(v) + "'");
      }
      case ExprKind::binop: {
        CHORD_ASSIGN_OR_RETURN(Value a, eval(*e.args[0]));
        CHORD_ASSIGN_OR_RETURN(Value b, eval(*e.args[1]));
        return binary_op(e.op, a, b, max_string());
      }
      case ExprKind::concat: {
        std::string out;
        for (const auto& a : e.args) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*a));
          CHORD_TRY(py_str(v, out, max_string()));
        }
        return Value(std::move(out));
      }
      case ExprKind::compare: {
        CHORD_ASSIGN_OR_RETURN(Value left, eval(*e.args[0]));
        for (std::size_t i = 0; i < e.cmp_ops.size(); ++i) {
          CHORD_ASSIGN_OR_RETURN(Value right, eval(*e.args[i + 1]));
          bool ok = false;
          switch (e.cmp_ops[i]) {
            case CmpOp::eq:
              ok = py_equal(left, right);
              break;
            case CmpOp::ne:
              ok = !py_equal(left, right);
              break;
            case CmpOp::in:
            case CmpOp::notin: {
              CHORD_ASSIGN_OR_RETURN(bool in, py_contains(right, left));
              ok = e.cmp_ops[i] == CmpOp::in ? in : !in;
              break;
            }
            default: {
              CHORD_ASSIGN_OR_RETURN(int c, py_compare(left, right));
              CmpOp op = e.cmp_ops[i];
              ok = op == CmpOp::lt ? c < 0 : op == CmpOp::le ? c <= 0 : op == CmpOp::gt ? c > 0 : c >= 0;
            }
          }
          if (!ok) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case ExprKind::and_: {
        CHORD_ASSIGN_OR_RETURN(Value a, eval(*e.args[0]));
        if (!truthy(a)) return a;
        return eval(*e.args[1]);
      }
      case ExprKind::or_: {
        CHORD_ASSIGN_OR_RETURN(Value a, eval(*e.args[0]));
        if (truthy(a)) return a;
        return eval(*e.args[1]);
      }
      case ExprKind::cond: {
        CHORD_ASSIGN_OR_RETURN(Value t, eval(*e.args[0]));
        if (truthy(t)) return eval(*e.args[1]);
        if (e.args[2]) return eval(*e.args[2]);
        if (const_mode_) return Status(Code::unsupported, kNotConstant);
        return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                                " evaluated to false and no else section was defined.");
      }
    }
    return error("unknown expression");
  }();
  if (!r.ok()) {
    if (located_) return r;
    located_ = true;
    return Status(Code::template_error,
                  "line " + std::to_string(e.line) + " (" + describe(e) + "): " + r.status().message());
  }
  if (r.value().depth() > kMaxValueDepth) {
    located_ = true;
    return Status(Code::template_error, "line " + std::to_string(e.line) + ": value nested too deeply");
  }
  return r;
}

}  // namespace chord::tmpl
