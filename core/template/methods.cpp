// Python methods callable from templates (str, dict, list), the loop object's attributes, and the
// global functions HF templates see: range, namespace, dict, raise_exception, strftime_now.
#include <algorithm>

#include "core/template/filters_util.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {

const char* const kStrMethods[] = {
    "capitalize", "casefold", "center",     "count",     "endswith",     "find",         "format",     "index",
    "isalnum",    "isalpha",  "isdigit",    "islower",   "isnumeric",    "isspace",      "isupper",    "join",
    "ljust",      "lower",    "lstrip",     "partition", "removeprefix", "removesuffix", "replace",    "rfind",
    "rindex",     "rjust",    "rpartition", "rsplit",    "rstrip",       "split",        "splitlines", "startswith",
    "strip",      "swapcase", "title",      "upper",     "zfill"};
const char* const kDictMethods[] = {"copy", "get", "items", "keys", "values"};
const char* const kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};
const char* const kListMethods[] = {"copy", "count", "index"};
const char* const kListUnsafe[] = {"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"};

template <std::size_t N>
bool in_list(const char* const (&list)[N], std::string_view name) {
  for (const char* n : list)
    if (name == n) return true;
  return false;
}

Result<std::string> str_arg(Renderer& r, const Value* v, const char* fn) {
  if (!v) return err(std::string(fn) + "() missing required argument");
  if (!v->is_string()) return err(std::string("must be str, not ") + type_name(*v));
  (void)r;
  return v->as_string();
}

// Code-point index of byte offset `b` in s.
std::int64_t cp_index(const std::string& s, std::size_t b) {
  return static_cast<std::int64_t>(text::length(std::string_view(s).substr(0, b)));
}

Value split_impl(const std::string& s, const Value* sep, std::int64_t maxsplit, bool from_right, bool safe) {
  Array parts;
  if (!sep || sep->is_null()) {  // whitespace runs, ends stripped
    auto cps = text::decode(s);
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::size_t i = 0;
    while (i < cps.size()) {
      while (i < cps.size() && text::is_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      std::size_t b = i;
      while (i < cps.size() && !text::is_space(cps[i])) ++i;
      spans.emplace_back(b, i);
    }
    if (maxsplit >= 0 && static_cast<std::int64_t>(spans.size()) > maxsplit + 1) {
      if (!from_right) {
        std::size_t b = spans[static_cast<std::size_t>(maxsplit)].first;
        std::size_t e = cps.size();
        while (e > b && text::is_space(cps[e - 1])) --e;
        spans.resize(static_cast<std::size_t>(maxsplit));
        spans.emplace_back(b, e);
      } else {
        std::size_t keep = static_cast<std::size_t>(maxsplit);
        std::size_t e = spans[spans.size() - keep - 1].second;
        std::vector<std::pair<std::size_t, std::size_t>> tail(spans.end() - static_cast<std::ptrdiff_t>(keep),
                                                              spans.end());
        std::size_t b = 0;
        while (b < e && text::is_space(cps[b])) ++b;
        spans.clear();
        spans.emplace_back(b, e);
        spans.insert(spans.end(), tail.begin(), tail.end());
      }
    }
    for (auto& sp : spans) parts.push_back(make_str(text::encode(cps, sp.first, sp.second), safe));
    return Value::array(std::move(parts));
  }
  const std::string& d = sep->as_string();
  std::vector<std::string> pieces;
  if (!from_right) {
    std::size_t pos = 0;
    std::int64_t n = 0;
    while (maxsplit < 0 || n < maxsplit) {
      std::size_t f = s.find(d, pos);
      if (f == std::string::npos) break;
      pieces.push_back(s.substr(pos, f - pos));
      pos = f + d.size();
      ++n;
    }
    pieces.push_back(s.substr(pos));
  } else {
    std::size_t end = s.size();
    std::int64_t n = 0;
    while (maxsplit < 0 || n < maxsplit) {
      if (end < d.size()) break;
      std::size_t f = s.rfind(d, end - d.size());
      if (f == std::string::npos) break;
      pieces.push_back(s.substr(f + d.size(), end - f - d.size()));
      end = f;
      ++n;
    }
    pieces.push_back(s.substr(0, end));
    std::reverse(pieces.begin(), pieces.end());
  }
  for (auto& p : pieces) parts.push_back(make_str(std::move(p), safe));
  return Value::array(std::move(parts));
}

Result<Value> str_method(Renderer& r, const Value& self, std::string_view m, CallArgs& a) {
  const std::string& s = self.as_string();
  bool safe = self.is_safe();
  std::vector<const Value*> p;
  auto bind = [&](std::initializer_list<const char*> names) { return bind_args(a, names, p, m); };
  if (m == "strip" || m == "lstrip" || m == "rstrip") {
    CHORD_TRY(bind({"chars"}));
    bool have = p[0] && !p[0]->is_null();
    std::string chars;
    if (have) {
      CHORD_ASSIGN_OR_RETURN(chars, str_arg(r, p[0], "strip"));
    }
    return make_str(text::py_strip(s, m != "rstrip", m != "lstrip", have ? &chars : nullptr), safe);
  }
  if (m == "split" || m == "rsplit") {
    CHORD_TRY(bind({"sep", "maxsplit"}));
    if (p[0] && !p[0]->is_null() && !p[0]->is_string())
      return err(std::string("must be str or None, not ") + type_name(*p[0]));
    if (p[0] && p[0]->is_string() && p[0]->as_string().empty()) return err("empty separator");
    CHORD_ASSIGN_OR_RETURN(std::int64_t maxsplit, arg_int(p[1], -1, "split"));
    Value out = split_impl(s, p[0], maxsplit, m == "rsplit", safe);
    CHORD_TRY(r.step(out.size()));
    return out;
  }
  if (m == "splitlines") {
    Array out;
    for (auto& line : split_lines(s)) out.push_back(make_str(std::move(line), safe));
    return Value::array(std::move(out));
  }
  if (m == "startswith" || m == "endswith") {
    CHORD_TRY(bind({"prefix", "start", "end"}));
    if (!p[0]) return err(std::string(m) + "() takes at least 1 argument (0 given)");
    std::string sub = s;
    if (p[1] || p[2]) {
      auto cps = text::decode(s);
      std::int64_t n = static_cast<std::int64_t>(cps.size());
      CHORD_ASSIGN_OR_RETURN(std::int64_t b, arg_int(p[1], 0, "startswith"));
      CHORD_ASSIGN_OR_RETURN(std::int64_t e, arg_int(p[2] && !p[2]->is_null() ? p[2] : nullptr, n, "startswith"));
      if (b < 0) b = std::max<std::int64_t>(0, b + n);
      if (e < 0) e = std::max<std::int64_t>(0, e + n);
      b = std::min(b, n);
      e = std::min(e, n);
      sub = b < e ? text::encode(cps, static_cast<std::size_t>(b), static_cast<std::size_t>(e)) : std::string();
    }
    Array cands = p[0]->is_array() && p[0]->is_tuple() ? p[0]->as_array() : Array{*p[0]};
    for (const auto& c : cands) {
      if (!c.is_string()) return err(std::string(m) + " first arg must be str or a tuple of str, not " + type_name(c));
      const std::string& x = c.as_string();
      if (x.size() > sub.size()) continue;
      if (m == "startswith" ? sub.compare(0, x.size(), x) == 0 : sub.compare(sub.size() - x.size(), x.size(), x) == 0)
        return Value(true);
    }
    return Value(false);
  }
  if (m == "replace") {
    CHORD_TRY(bind({"old", "new", "count"}));
    CHORD_ASSIGN_OR_RETURN(std::string from, str_arg(r, p[0], "replace"));
    CHORD_ASSIGN_OR_RETURN(std::string to, str_arg(r, p[1], "replace"));
    CHORD_ASSIGN_OR_RETURN(std::int64_t count, arg_int(p[2], -1, "replace"));
    if (safe && !p[1]->is_safe()) to = text::html_escape(to);
    CHORD_ASSIGN_OR_RETURN(std::string out, py_replace(r, s, from, to, count));
    return make_str(std::move(out), safe);
  }
  static const char* const kNoArgs[] = {"upper",    "lower",   "casefold", "title",   "capitalize",
                                        "swapcase", "isalnum", "isalpha",  "isdigit", "isnumeric",
                                        "isspace",  "islower", "isupper"};
  if (in_list(kNoArgs, m) && (!a.pos.empty() || !a.kw.empty()))
    return err("str." + std::string(m) + "() takes no arguments (" + std::to_string(a.pos.size() + a.kw.size()) +
               " given)");
  if (m == "upper") return make_str(text::upper(s), safe);
  if (m == "lower" || m == "casefold") return make_str(text::lower(s), safe);
  if (m == "title") return make_str(text::py_title(s), safe);
  if (m == "capitalize") return make_str(text::py_capitalize(s), safe);
  if (m == "swapcase") {
    std::string out;
    for (char32_t c : text::decode(s))
      text::append_utf8(out, text::is_upper(c) ? text::to_lower(c) : text::to_upper(c));
    return make_str(std::move(out), safe);
  }
  if (m == "find" || m == "rfind" || m == "index" || m == "rindex" || m == "count") {
    CHORD_TRY(bind({"sub", "start", "end"}));
    CHORD_ASSIGN_OR_RETURN(std::string sub, str_arg(r, p[0], "find"));
    // Python's ADJUST_INDICES on code points, then a byte search inside the window.
    auto cps = text::decode(s);
    std::int64_t n = static_cast<std::int64_t>(cps.size());
    const Value* pb = p[1] && !p[1]->is_null() ? p[1] : nullptr;
    const Value* pe = p[2] && !p[2]->is_null() ? p[2] : nullptr;
    CHORD_ASSIGN_OR_RETURN(std::int64_t b, arg_int(pb, 0, "find"));
    CHORD_ASSIGN_OR_RETURN(std::int64_t e, arg_int(pe, n, "find"));
    if (e > n)
      e = n;
    else if (e < 0)
      e = std::max<std::int64_t>(0, e + n);
    if (b < 0) b = std::max<std::int64_t>(0, b + n);
    bool none = b > n || e < b;
    std::string window =
        none ? std::string() : text::encode(cps, static_cast<std::size_t>(b), static_cast<std::size_t>(e));
    if (m == "count") {
      if (none) return Value(std::int64_t{0});
      if (sub.empty()) return Value(e - b + 1);
      std::int64_t k = 0;
      for (std::size_t pos = window.find(sub); pos != std::string::npos; pos = window.find(sub, pos + sub.size())) ++k;
      return Value(k);
    }
    std::size_t pos = none ? std::string::npos : (m == "find" || m == "index") ? window.find(sub) : window.rfind(sub);
    if (pos == std::string::npos) {
      if (m == "index" || m == "rindex") return err("substring not found");
      return Value(std::int64_t{-1});
    }
    return Value(b + cp_index(window, pos));
  }
  if (m == "join") {
    if (a.pos.size() != 1 || !a.kw.empty()) return err("join() takes exactly one argument");
    CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(a.pos[0]));
    CHORD_TRY(r.step(items.size()));
    std::string out;
    std::size_t i = 0;
    for (const auto& v : items.as_array()) {
      if (i++) out += s;
      if (safe && !v.is_safe()) {  // Markup.join escapes each item, which str()s it first
        std::string piece;
        CHORD_TRY(py_str(v, piece, r.max_string()));
        out += text::html_escape(piece);
      } else if (v.is_string()) {
        out += v.as_string();
      } else {
        return err("sequence item " + std::to_string(i - 1) + ": expected str instance, " + type_name(v) + " found");
      }
      CHORD_TRY(r.check_size(out.size()));
    }
    return make_str(std::move(out), safe);
  }
  if (m == "format") return str_format(r, self, a);
  if (m == "center" || m == "ljust" || m == "rjust" || m == "zfill") {
    CHORD_TRY(bind({"width", "fillchar"}));
    CHORD_ASSIGN_OR_RETURN(std::int64_t w, arg_int(p[0], 0, std::string(m).c_str()));
    std::string fill = " ";
    if (p[1]) {
      CHORD_ASSIGN_OR_RETURN(fill, str_arg(r, p[1], "center"));
    }
    if (m == "zfill") fill = "0";
    std::int64_t len = static_cast<std::int64_t>(text::length(s));
    if (w <= len) return make_str(s, safe);
    if (static_cast<std::uint64_t>(w) > r.max_string() / std::max<std::size_t>(1, fill.size()))
      return err("string too long (output size limit)");
    std::int64_t total = w - len;
    std::int64_t left = m == "ljust" ? 0 : (m == "rjust" || m == "zfill") ? total : total / 2 + (total & w & 1);
    std::string out;
    std::string body = s;
    if (m == "zfill" && !s.empty() && (s[0] == '-' || s[0] == '+')) {
      out.push_back(s[0]);
      body = s.substr(1);
    }
    for (std::int64_t i = 0; i < left; ++i) out += fill;
    out += body;
    for (std::int64_t i = left; i < total; ++i) out += fill;
    return make_str(std::move(out), safe);
  }
  if (m == "partition" || m == "rpartition") {
    CHORD_TRY(bind({"sep"}));
    CHORD_ASSIGN_OR_RETURN(std::string sep, str_arg(r, p[0], "partition"));
    if (sep.empty()) return err("empty separator");
    std::size_t pos = m == "partition" ? s.find(sep) : s.rfind(sep);
    if (pos == std::string::npos)
      return m == "partition" ? tuple_of({make_str(s, safe), make_str("", safe), make_str("", safe)})
                              : tuple_of({make_str("", safe), make_str("", safe), make_str(s, safe)});
    return tuple_of(
        {make_str(s.substr(0, pos), safe), make_str(sep, safe), make_str(s.substr(pos + sep.size()), safe)});
  }
  if (m == "removeprefix" || m == "removesuffix") {
    CHORD_TRY(bind({"affix"}));
    CHORD_ASSIGN_OR_RETURN(std::string x, str_arg(r, p[0], "removeprefix"));
    if (m == "removeprefix" && s.compare(0, x.size(), x) == 0) return make_str(s.substr(x.size()), safe);
    if (m == "removesuffix" && !x.empty() && s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0)
      return make_str(s.substr(0, s.size() - x.size()), safe);
    return make_str(s, safe);
  }
  // Character-class predicates.
  auto cps = text::decode(s);
  auto all = [&](bool (*pred)(char32_t)) { return !cps.empty() && std::all_of(cps.begin(), cps.end(), pred); };
  if (m == "isalnum") return Value(all([](char32_t c) { return text::is_alpha(c) || text::is_digit(c); }));
  if (m == "isalpha") return Value(all(text::is_alpha));
  if (m == "isdigit" || m == "isnumeric") return Value(all(text::is_digit));
  if (m == "isspace") return Value(all(text::is_space));
  if (m == "islower" || m == "isupper") {
    bool cased = false;
    for (char32_t c : cps) {
      if (m == "islower" ? text::is_upper(c) : text::is_lower(c)) return Value(false);
      cased = cased || (m == "islower" ? text::is_lower(c) : text::is_upper(c));
    }
    return Value(cased);
  }
  return err("str has no method '" + std::string(m) + "'");
}

}  // namespace

bool has_method(const Value& self, std::string_view name, bool& unsafe) {
  unsafe = false;
  switch (self.kind()) {
    case Kind::string:
      return in_list(kStrMethods, name);
    case Kind::object:
      if (in_list(kDictUnsafe, name)) return unsafe = true;
      return in_list(kDictMethods, name);
    case Kind::array:
      if (self.seq() == Seq::range) return name == "count" || name == "index";
      if (!is_list_or_tuple(self)) return false;
      if (!self.is_tuple() && in_list(kListUnsafe, name)) return unsafe = true;
      return in_list(kListMethods, name) && !(self.is_tuple() && name == "copy");
    default:
      return false;
  }
}

Result<Value> call_method(Renderer& r, const Value& self, std::string_view m, CallArgs& a) {
  CHORD_TRY(r.step());
  std::vector<const Value*> p;
  if (self.is_string()) return str_method(r, self, m, a);
  if (self.is_object()) {
    const Object& o = self.as_object();
    if (m == "get") {
      CHORD_TRY(bind_args(a, {"key", "default"}, p, "get"));
      if (!p[0]) return err("get expected at least 1 argument, got 0");
      CHORD_ASSIGN_OR_RETURN(const Value* v, find_key(o, *p[0]));
      if (v) return *v;
      return p[1] ? *p[1] : Value();
    }
    if (!a.pos.empty() || !a.kw.empty()) return err("dict." + std::string(m) + "() takes no arguments");
    if (m == "copy") return self;
    Array out;
    for (const auto& e : o.entries) {
      if (m == "items")
        out.push_back(tuple_of({key_value(e.first), e.second}));
      else if (m == "keys")
        out.push_back(key_value(e.first));
      else
        out.push_back(e.second);
    }
    return Value::array(std::move(out))
        .with_seq(m == "items"  ? Seq::dict_items
                  : m == "keys" ? Seq::dict_keys
                                : Seq::dict_values);
  }
  if (self.is_array()) {
    if (m == "copy") return self.with_flags(false, false, false);
    CHORD_TRY(bind_args(a, {"value"}, p, m));
    if (!p[0]) return err(std::string(m) + "() takes exactly one argument (0 given)");
    std::int64_t n = 0, i = 0;
    for (const auto& v : self.as_array()) {
      if (py_equal(v, *p[0])) {
        if (m == "index") return Value(i);
        ++n;
      }
      ++i;
    }
    if (m == "index") return err("value is not in list");
    return Value(n);
  }
  if (LoopState* l = self.as_loop()) {
    if (m == "cycle") {
      if (a.pos.empty()) return err("no items for cycling given");
      return a.pos[l->index0 % a.pos.size()];
    }
    if (m == "changed") {  // compared by repr so the loop state never holds values (no cycles)
      std::string key;
      CHORD_TRY(py_repr(tuple_of(a.pos), key, r.max_string()));
      if (l->has_changed && l->last_changed.as_string() == key) return Value(false);
      l->has_changed = true;
      l->last_changed = Value(std::move(key));
      return Value(true);
    }
  }
  return err("'" + std::string(type_name(self)) + "' object has no method '" + std::string(m) + "'");
}

Result<Value> loop_attr(const Value& loop, std::string_view name) {
  LoopState* l = loop.as_loop();
  const Array& items = l->items.as_array();
  auto i = static_cast<std::int64_t>(l->index0);
  auto n = static_cast<std::int64_t>(items.size());
  if (name == "index") return Value(i + 1);
  if (name == "index0") return Value(i);
  if (name == "revindex") return Value(n - i);
  if (name == "revindex0") return Value(n - i - 1);
  if (name == "first") return Value(i == 0);
  if (name == "last") return Value(i == n - 1);
  if (name == "length") return Value(n);
  if (name == "depth") return Value(std::int64_t{1});
  if (name == "depth0") return Value(std::int64_t{0});
  if (name == "previtem")
    return i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value::undefined("there is no previous item");
  if (name == "nextitem")
    return i + 1 < n ? items[static_cast<std::size_t>(i + 1)] : Value::undefined("there is no next item");
  if (name == "cycle" || name == "changed") {
    auto c = std::make_shared<Callable>();
    c->kind = CallableKind::method;
    c->name = std::string(name);
    c->self = loop;
    return Value::from_callable(std::move(c));
  }
  return Value::undefined("'LoopContext object' has no attribute '" + std::string(name) + "'");
}

// ---- global functions ----

namespace {
const char* const kBuiltins[] = {"range",        "namespace", "dict",   "raise_exception",
                                 "strftime_now", "lipsum",    "cycler", "joiner"};
}

int builtin_id(std::string_view name) {
  for (std::size_t i = 0; i < sizeof(kBuiltins) / sizeof(kBuiltins[0]); ++i)
    if (name == kBuiltins[i]) return static_cast<int>(i);
  return -1;
}

Result<Value> call_builtin(Renderer& r, int id, CallArgs& a) {
  switch (id) {
    case 0: {  // range(stop) / range(start, stop[, step]); jinja2's sandbox caps it at 100000 items
      if (!a.kw.empty()) return err("range() takes no keyword arguments");
      if (a.pos.empty() || a.pos.size() > 3) return err("range expected 1 to 3 arguments");
      std::int64_t v[3] = {0, 0, 1};
      for (std::size_t i = 0; i < a.pos.size(); ++i) {
        const Value& x = a.pos[i];
        if (!x.is_int() && !x.is_bool())
          return err(std::string("'") + type_name(x) + "' object cannot be interpreted as an integer");
        v[a.pos.size() == 1 ? 1 : i] = x.is_bool() ? x.as_bool() : x.as_int();
      }
      if (v[2] == 0) return err("range() arg 3 must not be zero");
      __int128 count = v[2] > 0 ? (static_cast<__int128>(v[1]) - v[0] + v[2] - 1) / v[2]
                                : (static_cast<__int128>(v[0]) - v[1] - v[2] - 1) / -v[2];
      if (count < 0) count = 0;
      if (count > 100000) return err("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
      CHORD_TRY(r.step(static_cast<std::size_t>(count)));
      Array out;
      out.reserve(static_cast<std::size_t>(count));
      for (__int128 k = 0; k < count; ++k) out.emplace_back(static_cast<std::int64_t>(v[0] + k * v[2]));
      return Value::range(v[0], v[1], v[2], std::move(out));
    }
    case 1:    // namespace(mapping?, **kwargs)
    case 2: {  // dict(mapping?, **kwargs)
      if (a.pos.size() > 1) return err("expected at most 1 positional argument");
      Object attrs;
      if (!a.pos.empty()) {
        if (!a.pos[0].is_object()) return err("namespace()/dict() positional argument must be a mapping");
        attrs = a.pos[0].as_object();
      }
      for (auto& kw : a.kw) attrs.set(kw.first, kw.second);
      if (id == 2) return Value::object(std::move(attrs));
      Namespace* ns = r.new_namespace();
      if (!ns) return err("too many namespace objects");
      ns->attrs = std::move(attrs);
      return Value::from_namespace(ns);
    }
    case 3: {  // raise_exception(message): the template's own error, message kept verbatim
      std::string msg;
      if (!a.pos.empty()) CHORD_TRY(py_str(a.pos[0], msg, r.max_string()));
      return err(msg);
    }
    case 4: {  // strftime_now(format)
      if (a.pos.size() != 1 || !a.pos[0].is_string()) return err("strftime_now() expects one format string");
      return Value(text::strftime_utc(a.pos[0].as_string(), r.now()));
    }
    default:
      return err(std::string(kBuiltins[id]) + "() is not supported");
  }
}

}  // namespace chord::tmpl
