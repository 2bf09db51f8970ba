// The generation-options record to and from JSON and command-line text, driven by visit_options()
// so each field's name is written once.
#include "runtime/options.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "core/template/chat_template.h"

namespace chord {
namespace {

using tmpl::Value;

Status bad(std::string_view field, const std::string& what) {
  return Status(Code::invalid_argument, "option " + std::string(field) + " " + what);
}

// JSON -> field, one overload per field type.
Status from_json(std::string_view name, const Value& v, int32_t& out) {
  if (!v.is_number() || v.is_bool() || v.as_double() != std::floor(v.as_double()) ||
      std::abs(v.as_double()) > 2147483647.0)
    return bad(name, "must be a 32-bit integer");
  out = static_cast<int32_t>(v.as_double());
  return Status::Ok();
}
Status from_json(std::string_view name, const Value& v, float& out) {
  if (!v.is_number() || v.is_bool()) return bad(name, "must be a number");
  out = static_cast<float>(v.as_double());
  return Status::Ok();
}
Status from_json(std::string_view name, const Value& v, bool& out) {
  if (!v.is_bool()) return bad(name, "must be true or false");
  out = v.as_bool();
  return Status::Ok();
}
// A 64-bit seed: a non-negative integer number, or a decimal string beyond 2^53.
Status from_json(std::string_view name, const Value& v, uint64_t& out) {
  if (v.is_int() && v.as_int() >= 0) {
    out = static_cast<uint64_t>(v.as_int());
    return Status::Ok();
  }
  if (v.is_string()) {
    const std::string& s = v.as_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return Status::Ok();
  }
  return bad(name, "must be a non-negative integer (or its decimal string)");
}
Status from_json(std::string_view name, const Value& v, std::string& out) {
  if (!v.is_string()) return bad(name, "must be a string");
  out = v.as_string();
  return Status::Ok();
}
Status from_json(std::string_view name, const Value& v, JsonText& out) {
  if (v.is_string()) {
    out.text = v.as_string();
    return Status::Ok();
  }
  if (!v.is_object() && !v.is_bool()) return bad(name, "must be a JSON object or its text");
  out.text = tmpl::to_json(v);
  return Status::Ok();
}
Status from_json(std::string_view name, const Value& v, std::vector<std::string>& out) {
  if (!v.is_array()) return bad(name, "must be an array of strings");
  out.clear();
  for (const Value& s : v.as_array()) {
    if (!s.is_string()) return bad(name, "must be an array of strings");
    out.push_back(s.as_string());
  }
  return Status::Ok();
}
Status from_json(std::string_view name, const Value& v, std::vector<std::pair<Token, float>>& out) {
  if (!v.is_array()) return bad(name, "must be an array of [token id, bias] pairs");
  out.clear();
  for (const Value& e : v.as_array()) {
    // A bias of -Infinity (ban) arrives as null from JSON.stringify, or as the -Infinity literal.
    const Value& b = e[1];
    if (!e.is_array() || e.size() != 2 || !e[0].is_int() || !(b.is_null() || (b.is_number() && !b.is_bool())))
      return bad(name, "must be an array of [token id, bias] pairs");
    const int64_t id = e[0].as_int();
    if (id < 0 || id > INT32_MAX) return bad(name, "token ids must be non-negative");
    out.emplace_back(static_cast<Token>(id), b.is_null() ? -INFINITY : static_cast<float>(b.as_double()));
  }
  return Status::Ok();
}

// field -> JSON text.
void to_json(std::string& o, int32_t v) { o += std::to_string(v); }
void to_json(std::string& o, bool v) { o += v ? "true" : "false"; }
void to_json(std::string& o, uint64_t v) { o += '"' + std::to_string(v) + '"'; }
void to_json(std::string& o, float v) {
  if (!std::isfinite(v)) {
    o += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));  // 9 digits read back as v
  o += buf;
}
void to_json(std::string& o, const std::string& v) { o += tmpl::to_json(Value(v)); }
void to_json(std::string& o, const JsonText& v) { to_json(o, v.text); }
void to_json(std::string& o, const std::vector<std::string>& v) {
  tmpl::Value a = tmpl::Value::array();
  for (const auto& s : v) a.push_back(Value(s));
  o += tmpl::to_json(a);
}
void to_json(std::string& o, const std::vector<std::pair<Token, float>>& v) {
  o += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    o += i ? ",[" : "[";
    to_json(o, static_cast<int32_t>(v[i].first));
    o += ',';
    to_json(o, v[i].second);
    o += ']';
  }
  o += ']';
}

// command-line text -> field.
bool parse_text(std::string_view t, int32_t& out) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size() && !t.empty();
}
bool parse_text(std::string_view t, uint64_t& out) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size() && !t.empty();
}
bool parse_text(std::string_view t, float& out) {
  std::string s(t);
  char* end = nullptr;
  errno = 0;
  out = std::strtof(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}
bool parse_text(std::string_view t, bool& out) {
  if (t == "true" || t == "1")
    out = true;
  else if (t == "false" || t == "0")
    out = false;
  else
    return false;
  return true;
}
bool parse_text(std::string_view t, std::string& out) {
  out = t;
  return true;
}
bool parse_text(std::string_view t, JsonText& out) {
  out.text = t;
  return true;
}
bool parse_text(std::string_view t, std::vector<std::string>& out) {
  out.emplace_back(t);
  return true;
}
bool parse_text(std::string_view t, std::vector<std::pair<Token, float>>& out) {
  const size_t colon = t.find(':');
  int32_t id = 0;
  float b = 0;
  if (colon == std::string_view::npos || !parse_text(t.substr(0, colon), id) || !parse_text(t.substr(colon + 1), b))
    return false;
  out.emplace_back(id, b);
  return true;
}

}  // namespace

Result<GenerateOptions> parse_options_json(std::string_view json, GenerateOptions base) {
  auto doc = tmpl::parse_json(json);
  if (!doc.ok()) return Status(Code::invalid_argument, "generation options: " + doc.status().message());
  if (!doc->is_object()) return Status(Code::invalid_argument, "generation options must be a JSON object");
  for (const auto& entry : doc->as_object().entries) {
    const std::string& key = entry.first;  // (clang 14 lambdas cannot capture structured bindings)
    const Value& value = entry.second;
    Status st = bad(key, "is not a generation option");
    visit_options(base, [&](std::string_view name, auto& field) {
      if (name == key) st = from_json(name, value, field);
    });
    if (!st.ok()) return st;
  }
  return base;
}

std::string options_to_json(const GenerateOptions& o) {
  std::string out = "{";
  visit_options(o, [&](std::string_view name, const auto& field) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
    to_json(out, field);
  });
  return out + "}";
}

Status set_option(GenerateOptions& o, std::string_view name, std::string_view text) {
  Status st = bad(name, "is not a generation option");
  visit_options(o, [&](std::string_view n, auto& field) {
    if (n == name) st = parse_text(text, field) ? Status::Ok() : bad(name, "cannot be '" + std::string(text) + "'");
  });
  return st;
}

Status validate(const GenerateOptions& o) {
  if (o.max_tokens < 0) return bad("max_tokens", "must be >= 0");
  if (o.top_logprobs < 0 || o.top_logprobs > 100) return bad("top_logprobs", "must be in [0, 100]");
  if (o.n_keep < -1) return bad("n_keep", "must be >= -1");
  if (o.n_discard < 0) return bad("n_discard", "must be >= 0");
  for (const auto& s : o.stop)
    if (s.empty()) return bad("stop", "strings must not be empty");
  if (!o.grammar.empty() && !o.json_schema.text.empty()) return bad("grammar", "and json_schema cannot both be given");
  return validate(o.sampling);
}

}  // namespace chord
