// Jinja filters as jinja2 3.1 implements them (with HF's tojson override), and the dispatch of
// filters by id. Filters returning generators in jinja2 keep a generator flag on their result.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/template/filters_util.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {

Result<Value> f_abs(Renderer&, const Value& in, CallArgs&) {
  if (in.is_int() || in.is_bool()) {
    std::int64_t i = in.is_bool() ? in.as_bool() : in.as_int();
    if (i == INT64_MIN) return err("integer overflow");
    return Value(i < 0 ? -i : i);
  }
  if (in.is_real()) return Value(std::fabs(in.as_real()));
  if (in.is_undefined()) return undefined_error(in);
  return err(std::string("bad operand type for abs(): '") + type_name(in) + "'");
}

Result<Value> f_attr(Renderer& r, const Value& in, CallArgs& a) {
  // jinja2 do_attr: Python getattr only (a dict's keys are not attributes), sandbox-checked.
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"name"}, p, "attr"));
  if (!p[0]) return err("attr() missing required argument 'name'");
  CHORD_ASSIGN_OR_RETURN(std::string name, to_str(*p[0], r.max_string()));
  if (in.is_object()) {
    bool unsafe = false;
    if (has_method(in, name, unsafe)) return r.get_attr(in, name);
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  return r.get_attr(in, name);
}

Result<Value> f_batch(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"linecount", "fill_with"}, p, "batch"));
  if (!p[0]) return err("do_batch() missing 1 required positional argument: 'linecount'");
  CHORD_ASSIGN_OR_RETURN(std::int64_t n, arg_int(p[0], 1, "batch"));
  if (n > 1000000) return err("batch(): batch size too large");
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  Array out, cur;
  for (const auto& v : items.as_array()) {
    if (static_cast<std::int64_t>(cur.size()) == n) {
      out.push_back(Value::array(std::move(cur)));
      cur.clear();
    }
    cur.push_back(v);
  }
  if (!cur.empty()) {
    if (p[1])
      while (static_cast<std::int64_t>(cur.size()) < n) cur.push_back(*p[1]);
    out.push_back(Value::array(std::move(cur)));
  }
  return Value::array(std::move(out)).with_flags(false, false, true);
}

Result<Value> f_capitalize(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  return make_str(text::py_capitalize(s), in.is_safe());
}

Result<Value> f_center(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"width"}, p, "center"));
  CHORD_ASSIGN_OR_RETURN(std::int64_t w, arg_int(p[0], 80, "center"));
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  std::int64_t len = static_cast<std::int64_t>(text::length(s));
  if (w <= len) return make_str(s, in.is_safe());
  CHORD_TRY(r.check_size(static_cast<std::size_t>(w)));
  std::int64_t total = w - len, left = total / 2 + (total & w & 1);
  return make_str(
      std::string(static_cast<std::size_t>(left), ' ') + s + std::string(static_cast<std::size_t>(total - left), ' '),
      in.is_safe());
}

Result<Value> f_length(Renderer&, const Value& in, CallArgs&) {
  switch (in.kind()) {
    case Kind::string:
      return Value(static_cast<std::int64_t>(text::length(in.as_string())));
    case Kind::array:
      if (in.is_generator()) return err("object of type 'generator' has no len()");
      return Value(static_cast<std::int64_t>(in.size()));
    case Kind::object:
      return Value(static_cast<std::int64_t>(in.size()));
    case Kind::undefined:
      return Value(std::int64_t{0});
    case Kind::ns:
      return Value(static_cast<std::int64_t>(in.as_namespace()->attrs.entries.size()));
    case Kind::loop:
      return Value(static_cast<std::int64_t>(in.as_loop()->items.size()));
    default:
      return err(std::string("object of type '") + type_name(in) + "' has no len()");
  }
}

Result<Value> f_default(Renderer&, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"default_value", "boolean"}, p, "default"));
  bool boolean = p[1] && truthy(*p[1]);
  if (in.is_undefined() || (boolean && !truthy(in))) return p[0] ? *p[0] : Value("");
  return in;
}

Result<Value> f_dictsort(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"case_sensitive", "by", "reverse"}, p, "dictsort"));
  bool cs = p[0] && truthy(*p[0]);
  bool rev = p[2] && truthy(*p[2]);
  int pos = 0;
  if (p[1]) {
    CHORD_ASSIGN_OR_RETURN(std::string by, to_str(*p[1], 64));
    if (by == "value")
      pos = 1;
    else if (by != "key")
      return err("You can only sort by either \"key\" or \"value\"");
  }
  if (!in.is_object()) return err("dictsort() requires a mapping");
  Array items;
  for (const auto& e : in.as_object().entries) items.push_back(tuple_of({key_value(e.first), e.second}));
  CHORD_TRY(sort_values(
      r, items,
      [&](const Value& v) -> Result<Value> {
        const Value& k = v.as_array()[static_cast<std::size_t>(pos)];
        return cs ? k : fold_case(k);
      },
      rev));
  return Value::array(std::move(items));
}

Result<Value> f_escape(Renderer& r, const Value& in, CallArgs&) {
  if (in.is_safe()) return in;
  CHORD_ASSIGN_OR_RETURN(std::string s, to_str(in, r.max_string()));
  return Value::markup(text::html_escape(s));
}

Result<Value> f_forceescape(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, to_str(in, r.max_string()));
  return Value::markup(text::html_escape(s));
}

Result<Value> f_first(Renderer&, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  if (items.size() == 0) return Value::undefined("No first item, sequence was empty.");
  return items.as_array()[0];
}

Result<Value> f_last(Renderer&, const Value& in, CallArgs&) {
  if (in.is_generator()) return err("'generator' object is not reversible");
  if (in.is_undefined()) return Value::undefined("No last item, sequence was empty.");
  if (!in.is_array() && !in.is_string() && !in.is_object())
    return err(std::string("'") + type_name(in) + "' object is not reversible");
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  if (items.size() == 0) return Value::undefined("No last item, sequence was empty.");
  return items.as_array().back();
}

// Python float(str): optional whitespace, sign, digits with '_' between them, inf/nan.
bool parse_py_float(std::string s, double& out) {
  s = text::py_strip(s, true, true, nullptr);
  std::string clean;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 >= s.size() || !isdigit(static_cast<unsigned char>(s[i - 1])) ||
          !isdigit(static_cast<unsigned char>(s[i + 1])))
        return false;
      continue;
    }
    clean.push_back(s[i]);
  }
  if (clean.empty()) return false;
  std::string low = text::lower(clean);
  std::string body = (low[0] == '+' || low[0] == '-') ? low.substr(1) : low;
  if (body == "inf" || body == "infinity" || body == "nan") {
    out = body == "nan" ? std::nan("") : HUGE_VAL;
    if (low[0] == '-') out = -out;
    return true;
  }
  for (char c : body)
    if (!(isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' || c == '-')) return false;
  char* end = nullptr;
  out = std::strtod(clean.c_str(), &end);
  return end && *end == '\0';
}

// Python int(str, base): whitespace, sign, '_' separators, optional 0x/0o/0b prefix for its base.
bool parse_py_int(std::string s, int base, std::int64_t& out) {
  s = text::py_strip(s, true, true, nullptr);
  if (s.empty()) return false;
  bool neg = false;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i + 1 < s.size() && s[i] == '0') {
    char c = static_cast<char>(tolower(s[i + 1]));
    if ((c == 'x' && base == 16) || (c == 'o' && base == 8) || (c == 'b' && base == 2)) i += 2;
  }
  if (i >= s.size()) return false;
  unsigned __int128 v = 0;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (!prev_digit || i + 1 >= s.size()) return false;
      prev_digit = false;
      continue;
    }
    int d = isdigit(static_cast<unsigned char>(c))   ? c - '0'
            : isalpha(static_cast<unsigned char>(c)) ? tolower(c) - 'a' + 10
                                                     : 99;
    if (d >= base) return false;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return false;
    prev_digit = true;
  }
  if (!prev_digit) return false;
  if (!neg && v > static_cast<unsigned __int128>(INT64_MAX)) return false;
  out = neg ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v)) : static_cast<std::int64_t>(v);
  return true;
}

Result<Value> f_float(Renderer&, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"default"}, p, "float"));
  Value dflt = p[0] ? *p[0] : Value(0.0);
  if (in.is_undefined()) return undefined_error(in);
  if (in.is_number()) return Value(in.as_double());
  double d;
  if (in.is_string() && parse_py_float(in.as_string(), d)) return Value(d);
  return dflt;
}

Result<Value> f_int(Renderer&, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"default", "base"}, p, "int"));
  Value dflt = p[0] ? *p[0] : Value(std::int64_t{0});
  CHORD_ASSIGN_OR_RETURN(std::int64_t base, arg_int(p[1], 10, "int"));
  if (in.is_undefined()) return undefined_error(in);
  if (in.is_int()) return in;
  if (in.is_bool()) return Value(static_cast<std::int64_t>(in.as_bool()));
  // int(float): NaN gives the default, infinity raises (OverflowError), beyond int64 Python
  // would make a big integer, which we refuse with a typed error instead of a wrong number.
  auto from_double = [&](double d) -> Result<Value> {
    if (std::isnan(d)) return dflt;
    if (std::isinf(d)) return err("cannot convert float infinity to integer");
    if (std::fabs(d) >= 9.2e18) return err("integer overflow (Python big integers are not supported)");
    return Value(static_cast<std::int64_t>(d));
  };
  if (in.is_real()) return from_double(in.as_real());
  if (in.is_string()) {
    std::int64_t v;
    if (base >= 2 && base <= 36 && parse_py_int(in.as_string(), static_cast<int>(base), v)) return Value(v);
    double d;
    if (parse_py_float(in.as_string(), d)) return from_double(d);
  }
  return dflt;
}

Result<Value> f_indent(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"width", "first", "blank"}, p, "indent"));
  std::string ind = "    ";
  if (p[0]) {
    if (p[0]->is_string()) {
      ind = p[0]->as_string();
    } else {
      CHORD_ASSIGN_OR_RETURN(std::int64_t w, arg_int(p[0], 4, "indent"));
      CHORD_TRY(r.check_size(static_cast<std::size_t>(std::max<std::int64_t>(w, 0))));
      ind = std::string(static_cast<std::size_t>(std::max<std::int64_t>(w, 0)), ' ');
    }
  }
  bool first = p[1] && truthy(*p[1]), blank = p[2] && truthy(*p[2]);
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  s += "\n";  // jinja2 appends a newline so splitlines keeps a trailing empty line
  std::vector<std::string> lines = split_lines(s);
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\n";
    if (i > 0 && (blank || !lines[i].empty())) out += ind;
    out += lines[i];
    CHORD_TRY(r.check_size(out.size()));
  }
  if (first) out = ind + out;
  return make_str(std::move(out), in.is_safe());
}

Result<Value> f_items(Renderer&, const Value& in, CallArgs&) {
  if (in.is_undefined()) return Value::array().with_flags(false, false, true);
  if (!in.is_object()) return err("Can only get item pairs from a mapping.");
  Array out;
  for (const auto& e : in.as_object().entries) out.push_back(tuple_of({key_value(e.first), e.second}));
  return Value::array(std::move(out)).with_flags(false, false, true);
}

Result<Value> f_join(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"d", "attribute"}, p, "join"));
  std::string sep;
  if (p[0]) {
    CHORD_ASSIGN_OR_RETURN(sep, to_str(*p[0], r.max_string()));
  }
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  std::string out;
  bool first = true;
  for (const auto& v0 : items.as_array()) {
    Value v = v0;
    if (p[1]) {
      CHORD_ASSIGN_OR_RETURN(v, get_path(r, v0, *p[1], nullptr));
    }
    if (!first) out += sep;
    first = false;
    CHORD_TRY(py_str(v, out, r.max_string()));
  }
  return Value(std::move(out));
}

Result<Value> f_list(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  return items.with_flags(false, false, false);
}

Result<Value> f_lower(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  return make_str(text::lower(s), in.is_safe());
}

Result<Value> f_upper(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  return make_str(text::upper(s), in.is_safe());
}

Result<Value> f_replace(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"old", "new", "count"}, p, "replace"));
  if (!p[0] || !p[1]) return err("replace() missing required arguments");
  CHORD_ASSIGN_OR_RETURN(std::string s, to_str(in, r.max_string()));
  CHORD_ASSIGN_OR_RETURN(std::string from, to_str(*p[0], r.max_string()));
  CHORD_ASSIGN_OR_RETURN(std::string to, to_str(*p[1], r.max_string()));
  std::int64_t count = -1;
  if (p[2] && !p[2]->is_null()) {
    CHORD_ASSIGN_OR_RETURN(count, arg_int(p[2], -1, "replace"));
  }
  CHORD_ASSIGN_OR_RETURN(std::string out, py_replace(r, s, from, to, count));
  return Value(std::move(out));
}

Result<Value> f_reverse(Renderer&, const Value& in, CallArgs&) {
  if (in.is_string()) {
    auto cps = text::decode(in.as_string());
    std::reverse(cps.begin(), cps.end());
    return make_str(text::encode(cps), in.is_safe());
  }
  if (in.is_array() && !in.is_generator()) {
    Array out(in.as_array().rbegin(), in.as_array().rend());
    return Value::array(std::move(out)).with_flags(false, false, true);
  }
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  Array out(items.as_array().rbegin(), items.as_array().rend());
  return Value::array(std::move(out));
}

Result<Value> f_round(Renderer&, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"precision", "method"}, p, "round"));
  CHORD_ASSIGN_OR_RETURN(std::int64_t prec, arg_int(p[0], 0, "round"));
  std::string method = "common";
  if (p[1]) method = p[1]->as_string();
  if (method != "common" && method != "ceil" && method != "floor") return err("method must be common, ceil or floor");
  if (!in.is_number()) {
    if (in.is_undefined()) return undefined_error(in);
    return err(std::string("type ") + type_name(in) + " doesn't define __round__ method");
  }
  if (prec < -300 || prec > 300) return err("round(): precision out of range");
  if (method == "common") {
    if (!in.is_real()) {  // Python's round(int, n): exact, to a multiple of 10**-n, half to even
      std::int64_t x = in.is_bool() ? in.as_bool() : in.as_int();
      if (prec >= 0) return Value(x);
      if (prec < -18) return Value(std::int64_t{0});
      __int128 m = 1;
      for (std::int64_t k = 0; k < -prec; ++k) m *= 10;
      __int128 q = x / m, rem = x - q * m;
      if (rem < 0) rem += m, q -= 1;  // floor division
      if (2 * rem > m || (2 * rem == m && (q & 1))) q += 1;
      __int128 out = q * m;
      if (out > INT64_MAX || out < INT64_MIN) return err("integer overflow (Python big integers are not supported)");
      return Value(static_cast<std::int64_t>(out));
    }
    double d = in.as_real();
    if (!std::isfinite(d)) return in;
    if (prec >= 0) {  // printf rounds the exact binary value half-to-even, like Python's round()
      char buf[512];
      std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(prec), d);
      return Value(std::strtod(buf, nullptr));
    }
    double f = std::pow(10.0, static_cast<double>(-prec));
    return Value(std::nearbyint(d / f) * f);
  }
  double f = std::pow(10.0, static_cast<double>(prec));
  double v = in.as_double() * f;
  return Value((method == "ceil" ? std::ceil(v) : std::floor(v)) / f);
}

Result<Value> f_safe(Renderer& r, const Value& in, CallArgs&) {
  if (in.is_safe()) return in;
  CHORD_ASSIGN_OR_RETURN(std::string s, to_str(in, r.max_string()));
  return Value::markup(std::move(s));
}

Result<Value> f_string(Renderer& r, const Value& in, CallArgs&) {
  if (in.is_string()) return in;
  CHORD_ASSIGN_OR_RETURN(std::string s, to_str(in, r.max_string()));
  return Value(std::move(s));
}

Result<Value> f_title(Renderer& r, const Value& in, CallArgs&) {
  // jinja2 do_title: split on runs of [-\s({\[<] and capitalise each piece.
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  auto cps = text::decode(s);
  std::string out;
  bool start = true;
  for (char32_t c : cps) {
    bool sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || text::is_space(c);
    if (sep) {
      text::append_utf8(out, c);
      start = true;
    } else {
      text::append_utf8(out, start ? text::to_upper(c) : text::to_lower(c));
      start = false;
    }
  }
  return make_str(std::move(out), in.is_safe());
}

Result<Value> f_tojson(Renderer& r, const Value& in, CallArgs& a) {
  // transformers: json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"ensure_ascii", "indent", "separators", "sort_keys"}, p, "tojson"));
  JsonOptions o;
  o.max_bytes = r.max_string();
  o.ensure_ascii = p[0] && truthy(*p[0]);
  o.sort_keys = p[3] && truthy(*p[3]);
  if (p[1] && !p[1]->is_null()) {
    if (p[1]->is_string()) {
      o.indent_str = p[1]->as_string();
      o.indent = 0;
    } else {
      CHORD_ASSIGN_OR_RETURN(std::int64_t ind, arg_int(p[1], 0, "tojson"));
      if (ind > 1000) return err("tojson(): indent too large");
      o.indent = static_cast<int>(std::max<std::int64_t>(ind, 0));
    }
    o.item_sep = ",";
  }
  if (p[2] && !p[2]->is_null()) {
    const Value& sep = *p[2];
    if (!sep.is_array() || sep.size() != 2 || !sep.as_array()[0].is_string() || !sep.as_array()[1].is_string())
      return err("tojson(): separators must be a pair of strings");
    o.item_sep = sep.as_array()[0].as_string();
    o.key_sep = sep.as_array()[1].as_string();
  }
  CHORD_ASSIGN_OR_RETURN(std::string s, dump_json(in, o));
  CHORD_TRY(r.check_size(s.size()));
  return Value(std::move(s));
}

Result<Value> f_trim(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"chars"}, p, "trim"));
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  std::string chars;
  bool have = p[0] && !p[0]->is_null();
  if (have) {
    CHORD_ASSIGN_OR_RETURN(chars, to_str(*p[0], r.max_string()));
  }
  return make_str(text::py_strip(s, true, true, have ? &chars : nullptr), in.is_safe());
}

Result<Value> f_wordcount(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  std::int64_t n = 0;
  bool in_word = false;
  for (char32_t c : text::decode(s)) {
    bool w = text::is_word(c);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Result<Value> f_striptags(Renderer& r, const Value& in, CallArgs&) {
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "<!--") == 0) {
      std::size_t e = s.find("-->", i + 4);
      if (e != std::string::npos) {
        i = e + 2;
        continue;
      }
    }
    if (s[i] == '<') {
      std::size_t e = s.find('>', i + 1);
      if (e != std::string::npos) {
        i = e;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  std::string joined;  // " ".join(s.split())
  for (char32_t c : text::decode(out)) {
    if (text::is_space(c)) {
      if (!joined.empty() && joined.back() != ' ') joined.push_back(' ');
    } else {
      text::append_utf8(joined, c);
    }
  }
  if (!joined.empty() && joined.back() == ' ') joined.pop_back();
  static const std::pair<const char*, const char*> kEnt[] = {{"&lt;", "<"},   {"&gt;", ">"},  {"&quot;", "\""},
                                                             {"&#34;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& e : kEnt) {
    CHORD_ASSIGN_OR_RETURN(joined, py_replace(r, joined, e.first, e.second, -1));
  }
  return Value(std::move(joined));
}

Result<Value> f_format(Renderer& r, const Value& in, CallArgs& a) {
  if (!a.kw.empty()) return err("format(): keyword arguments are not supported");
  CHORD_ASSIGN_OR_RETURN(std::string s, soft_str(r, in));
  return binary_op(BinOp::mod, make_str(s, in.is_safe()), tuple_of(a.pos), r.max_string());
}

Result<Value> f_unsupported(Renderer&, const Value&, CallArgs&) { return err("this filter is not supported"); }

struct FilterDef {
  const char* name;
  FilterFn fn;
};

const FilterDef kFilters[] = {
    {"abs", f_abs},
    {"attr", f_attr},
    {"batch", f_batch},
    {"capitalize", f_capitalize},
    {"center", f_center},
    {"count", f_length},
    {"d", f_default},
    {"default", f_default},
    {"dictsort", f_dictsort},
    {"e", f_escape},
    {"escape", f_escape},
    {"first", f_first},
    {"float", f_float},
    {"forceescape", f_forceescape},
    {"format", f_format},
    {"indent", f_indent},
    {"int", f_int},
    {"items", f_items},
    {"join", f_join},
    {"last", f_last},
    {"length", f_length},
    {"list", f_list},
    {"lower", f_lower},
    {"map", f_map},
    {"max", f_max},
    {"min", f_min},
    {"reject", f_reject},
    {"rejectattr", f_rejectattr},
    {"replace", f_replace},
    {"reverse", f_reverse},
    {"round", f_round},
    {"safe", f_safe},
    {"select", f_select},
    {"selectattr", f_selectattr},
    {"sort", f_sort},
    {"string", f_string},
    {"striptags", f_striptags},
    {"sum", f_sum},
    {"title", f_title},
    {"tojson", f_tojson},
    {"trim", f_trim},
    {"unique", f_unique},
    {"upper", f_upper},
    {"wordcount", f_wordcount},
    // Known to jinja2 but not implemented here: a clear runtime error if a template calls them.
    {"filesizeformat", f_unsupported},
    {"groupby", f_unsupported},
    {"pprint", f_unsupported},
    {"random", f_unsupported},
    {"slice", f_unsupported},
    {"truncate", f_unsupported},
    {"urlencode", f_unsupported},
    {"urlize", f_unsupported},
    {"wordwrap", f_unsupported},
    {"xmlattr", f_unsupported},
};

}  // namespace

int filter_id(std::string_view name) {
  for (std::size_t i = 0; i < sizeof(kFilters) / sizeof(kFilters[0]); ++i)
    if (name == kFilters[i].name) return static_cast<int>(i);
  return -1;
}

FilterFn filter_fn(int id) {
  if (id < 0 || static_cast<std::size_t>(id) >= sizeof(kFilters) / sizeof(kFilters[0])) return nullptr;
  return kFilters[id].fn;
}

Result<Value> Renderer::apply_filter(int id, const std::string& name, const Value& input, CallArgs& args) {
  FilterFn fn = filter_fn(id);
  if (!fn) return err("No filter named '" + name + "' found.");
  Result<Value> r = fn(*this, input, args);
  if (!r.ok() && fn == f_unsupported) return err("filter '" + name + "' is not supported");
  // jinja2's generator filters fail only when their result is consumed (never, if it is not),
  // except for errors in the call itself (missing or unknown arguments): those show on an empty
  // input too.
  if (!r.ok() && r.status().code() == Code::template_error)
    for (const char* lazy : {"items", "map", "select", "reject", "selectattr", "rejectattr", "unique", "batch"})
      if (name == lazy) {
        CallArgs probe_args = args;
        Result<Value> probe = fn(*this, name == "items" ? Value::object() : Value::array(), probe_args);
        if (!probe.ok()) return r;
        located_ = false;  // the error is kept for later, not reported now
        return Value::failing_generator(r.status().message());
      }
  return r;
}

}  // namespace chord::tmpl
