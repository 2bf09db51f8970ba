// Helpers shared by the filter, test and method implementations (filters_seq.cpp defines them).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/template/interp.h"

namespace chord::tmpl {

using FilterFn = Result<Value> (*)(Renderer&, const Value&, CallArgs&);
FilterFn filter_fn(int id);

inline Status err(const std::string& msg) { return Status(Code::template_error, msg); }

// An int-like argument (bool/int, or a float with an integral value), `dflt` when absent.
Result<std::int64_t> arg_int(const Value* v, std::int64_t dflt, const char* fn);
// jinja2 soft_str: strings unchanged, Undefined -> "", anything else str().
Result<std::string> soft_str(Renderer& r, const Value& v);
// Lower-cases strings (for case-insensitive sort/unique/min/max), other values unchanged.
Value fold_case(const Value& v);
// Stable sort by key; Python comparison errors are reported.
Status sort_values(Renderer& r, Array& items, const std::function<Result<Value>(const Value&)>& key, bool reverse);
// jinja2 make_attrgetter: "a.b.0" path through getitem; `dflt` replaces an undefined result.
Result<Value> get_path(Renderer& r, const Value& v, const Value& path, const Value* dflt);
// str.splitlines() (no keepends).
std::vector<std::string> split_lines(const std::string& s);
// str.replace(old, new, count) with Python's empty-pattern behaviour and the size cap.
Result<std::string> py_replace(Renderer& r, const std::string& s, const std::string& from, const std::string& to,
                               std::int64_t count);

Result<Value> f_map(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_select(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_reject(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_selectattr(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_rejectattr(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_sort(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_unique(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_max(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_min(Renderer& r, const Value& in, CallArgs& a);
Result<Value> f_sum(Renderer& r, const Value& in, CallArgs& a);

}  // namespace chord::tmpl
