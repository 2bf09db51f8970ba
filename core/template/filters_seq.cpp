// Sequence filters (map, select/reject[attr], sort, unique, min/max, sum) and helpers shared by
// the filter, test and method implementations.
#include <algorithm>
#include <cmath>

#include "core/template/filters_util.h"
#include "core/template/text.h"

namespace chord::tmpl {

Result<std::int64_t> arg_int(const Value* v, std::int64_t dflt, const char* fn) {
  if (!v) return dflt;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return static_cast<std::int64_t>(v->as_bool());
  if (v->is_real() && std::fabs(v->as_real()) < 9e18 && v->as_real() == std::floor(v->as_real()))
    return static_cast<std::int64_t>(v->as_real());
  return err(std::string(fn) + "(): expected an integer argument, got '" + type_name(*v) + "'");
}

Result<std::string> soft_str(Renderer& r, const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_undefined()) return std::string();
  return to_str(v, r.max_string());
}

Value fold_case(const Value& v) { return v.is_string() ? Value(text::lower(v.as_string())) : v; }

Status sort_values(Renderer& r, Array& items, const std::function<Result<Value>(const Value&)>& key, bool reverse) {
  CHORD_TRY(r.step(items.size() * 4));
  std::vector<std::pair<Value, std::size_t>> keyed;
  keyed.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    CHORD_ASSIGN_OR_RETURN(Value k, key(items[i]));
    keyed.emplace_back(std::move(k), i);
  }
  Status failure;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (!failure.ok()) return false;
    Result<int> c = reverse ? py_compare(b.first, a.first) : py_compare(a.first, b.first);
    if (!c.ok()) {
      failure = c.status();
      return false;
    }
    return c.value() < 0;
  });
  CHORD_TRY(failure);
  Array out;
  out.reserve(items.size());
  for (const auto& k : keyed) out.push_back(items[k.second]);
  items = std::move(out);
  return Status::Ok();
}

static std::vector<Value> attr_parts(const Value& path) {
  std::vector<Value> parts;
  if (path.is_null()) return parts;
  if (!path.is_string()) return {path};
  const std::string& s = path.as_string();
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find('.', b);
    std::string part = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && part.size() < 18)
      parts.emplace_back(static_cast<std::int64_t>(std::stoll(part)));
    else
      parts.emplace_back(part);
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return parts;
}

Result<Value> get_path(Renderer& r, const Value& v, const Value& path, const Value* dflt) {
  Value cur = v;
  for (const Value& part : attr_parts(path)) {
    CHORD_ASSIGN_OR_RETURN(cur, r.get_item(cur, part));
    if (dflt && !dflt->is_null() && cur.is_undefined()) cur = *dflt;
  }
  return cur;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  auto cps = text::decode(s);
  std::size_t start = 0;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    if (!text::is_linebreak(cps[i])) continue;
    lines.push_back(text::encode(cps, start, i));
    if (cps[i] == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < cps.size()) lines.push_back(text::encode(cps, start, cps.size()));
  return lines;
}

Result<std::string> py_replace(Renderer& r, const std::string& s, const std::string& from, const std::string& to,
                               std::int64_t count) {
  std::string out;
  if (from.empty()) {  // Python inserts `to` between characters (and at both ends)
    auto cps = text::decode(s);
    std::int64_t n = 0;
    for (std::size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || n < count) {
        out += to;
        ++n;
      }
      if (i < cps.size()) text::append_utf8(out, cps[i]);
      CHORD_TRY(r.check_size(out.size()));
    }
    return out;
  }
  std::size_t pos = 0;
  std::int64_t n = 0;
  while (count < 0 || n < count) {
    std::size_t f = s.find(from, pos);
    if (f == std::string::npos) break;
    out.append(s, pos, f - pos);
    out += to;
    pos = f + from.size();
    ++n;
    CHORD_TRY(r.check_size(out.size()));
  }
  out.append(s, pos, std::string::npos);
  CHORD_TRY(r.check_size(out.size()));
  return out;
}

Result<Value> f_map(Renderer& r, const Value& in, CallArgs& a) {
  if (!truthy(in)) return Value::array().with_flags(false, false, true);  // jinja2: `if value:`
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  Array out;
  if (a.pos.empty()) {
    const Value* attr = nullptr;
    const Value* dflt = nullptr;
    for (const auto& kw : a.kw) {
      if (kw.first == "attribute")
        attr = &kw.second;
      else if (kw.first == "default")
        dflt = &kw.second;
      else
        return err("Unexpected keyword argument '" + kw.first + "'");
    }
    if (!attr) return err("map requires a filter argument");
    for (const auto& v : items.as_array()) {
      CHORD_ASSIGN_OR_RETURN(Value x, get_path(r, v, *attr, dflt));
      out.push_back(std::move(x));
    }
  } else {
    CHORD_ASSIGN_OR_RETURN(std::string name, to_str(a.pos[0], 256));
    int id = filter_id(name);
    CallArgs rest;
    rest.pos.assign(a.pos.begin() + 1, a.pos.end());
    rest.kw = a.kw;
    for (const auto& v : items.as_array()) {
      CallArgs copy = rest;
      CHORD_ASSIGN_OR_RETURN(Value x, r.apply_filter(id, name, v, copy));
      out.push_back(std::move(x));
    }
  }
  return Value::array(std::move(out)).with_flags(false, false, true);
}

// select/reject/selectattr/rejectattr share jinja2's prepare_select_or_reject.
static Result<Value> select_impl(Renderer& r, const Value& in, CallArgs& a, bool keep, bool by_attr) {
  if (!truthy(in)) return Value::array().with_flags(false, false, true);  // jinja2: `if value:`
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  std::size_t off = 0;
  Value attr;
  if (by_attr) {
    if (a.pos.empty()) return err("Missing parameter for attribute name");
    attr = a.pos[0];
    off = 1;
  }
  bool have_test = a.pos.size() > off;
  std::string name;
  int id = -1;
  CallArgs targs;
  if (have_test) {
    CHORD_ASSIGN_OR_RETURN(name, to_str(a.pos[off], 256));
    id = test_id(name);
    targs.pos.assign(a.pos.begin() + static_cast<std::ptrdiff_t>(off + 1), a.pos.end());
    targs.kw = a.kw;
  }
  Array out;
  for (const auto& v : items.as_array()) {
    Value x = v;
    if (by_attr) {
      CHORD_ASSIGN_OR_RETURN(x, get_path(r, v, attr, nullptr));
    }
    bool t;
    if (have_test) {
      CallArgs copy = targs;
      CHORD_ASSIGN_OR_RETURN(t, r.apply_test(id, name, x, copy));
    } else {
      t = truthy(x);
    }
    if (t == keep) out.push_back(v);
  }
  return Value::array(std::move(out)).with_flags(false, false, true);
}

Result<Value> f_select(Renderer& r, const Value& in, CallArgs& a) { return select_impl(r, in, a, true, false); }
Result<Value> f_reject(Renderer& r, const Value& in, CallArgs& a) { return select_impl(r, in, a, false, false); }
Result<Value> f_selectattr(Renderer& r, const Value& in, CallArgs& a) { return select_impl(r, in, a, true, true); }
Result<Value> f_rejectattr(Renderer& r, const Value& in, CallArgs& a) { return select_impl(r, in, a, false, true); }

Result<Value> f_sort(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"reverse", "case_sensitive", "attribute"}, p, "sort"));
  if (p[0] && !p[0]->is_bool() && !p[0]->is_int())  // Python's sorted(reverse=...) wants an int
    return err(std::string("'") + type_name(*p[0]) + "' object cannot be interpreted as an integer");
  bool rev = p[0] && truthy(*p[0]);
  bool cs = p[1] && truthy(*p[1]);
  std::vector<Value> paths;
  if (p[2] && p[2]->is_string()) {
    const std::string& s = p[2]->as_string();
    std::size_t b = 0;
    while (true) {
      std::size_t e = s.find(',', b);
      paths.emplace_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
  } else {
    paths.push_back(p[2] ? *p[2] : Value());
  }
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  Array arr = items.as_array();
  CHORD_TRY(sort_values(
      r, arr,
      [&](const Value& v) -> Result<Value> {
        Array key;
        for (const auto& path : paths) {
          CHORD_ASSIGN_OR_RETURN(Value k, get_path(r, v, path, nullptr));
          key.push_back(cs ? k : fold_case(k));
        }
        return Value::array(std::move(key));
      },
      rev));
  return Value::array(std::move(arr));
}

Result<Value> f_unique(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"case_sensitive", "attribute"}, p, "unique"));
  bool cs = p[0] && truthy(*p[0]);
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  std::vector<Value> seen;
  Array out;
  for (const auto& v : items.as_array()) {
    Value k = v;
    if (p[1]) {
      CHORD_ASSIGN_OR_RETURN(k, get_path(r, v, *p[1], nullptr));
    }
    if (!cs) k = fold_case(k);
    if (k.is_array() || k.is_object()) return err(std::string("unhashable type: '") + type_name(k) + "'");
    CHORD_TRY(r.step(seen.size() + 1));
    bool dup = false;
    for (const auto& s : seen) dup = dup || py_equal(s, k);
    if (dup) continue;
    seen.push_back(k);
    out.push_back(v);
  }
  return Value::array(std::move(out)).with_flags(false, false, true);
}

static Result<Value> min_max(Renderer& r, const Value& in, CallArgs& a, bool want_max) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"case_sensitive", "attribute"}, p, want_max ? "max" : "min"));
  bool cs = p[0] && truthy(*p[0]);
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  const Array& arr = items.as_array();
  if (arr.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  auto key = [&](const Value& v) -> Result<Value> {
    Value k = v;
    if (p[1]) {
      CHORD_ASSIGN_OR_RETURN(k, get_path(r, v, *p[1], nullptr));
    }
    return cs ? k : fold_case(k);
  };
  std::size_t best = 0;
  CHORD_ASSIGN_OR_RETURN(Value best_key, key(arr[0]));
  for (std::size_t i = 1; i < arr.size(); ++i) {
    CHORD_ASSIGN_OR_RETURN(Value k, key(arr[i]));
    CHORD_ASSIGN_OR_RETURN(int c, want_max ? py_compare(best_key, k) : py_compare(k, best_key));
    if (c < 0) {
      best = i;
      best_key = k;
    }
  }
  return arr[best];
}

Result<Value> f_max(Renderer& r, const Value& in, CallArgs& a) { return min_max(r, in, a, true); }
Result<Value> f_min(Renderer& r, const Value& in, CallArgs& a) { return min_max(r, in, a, false); }

Result<Value> f_sum(Renderer& r, const Value& in, CallArgs& a) {
  std::vector<const Value*> p;
  CHORD_TRY(bind_args(a, {"attribute", "start"}, p, "sum"));
  Value total = p[1] ? *p[1] : Value(std::int64_t{0});
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(in));
  CHORD_TRY(r.step(items.size()));
  for (const auto& v : items.as_array()) {
    Value x = v;
    if (p[0] && !p[0]->is_null()) {
      CHORD_ASSIGN_OR_RETURN(x, get_path(r, v, *p[0], nullptr));
    }
    CHORD_ASSIGN_OR_RETURN(total, binary_op(BinOp::add, total, x, r.max_string()));
  }
  return total;
}

}  // namespace chord::tmpl
