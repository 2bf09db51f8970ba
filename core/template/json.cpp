// JSON text <-> Value: a strict recursive-descent parser with a nesting limit, and a writer that
// reproduces Python's json.dumps (separators, indent, ensure_ascii, sort_keys, float repr).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "core/template/chat_template.h"
#include "core/template/interp.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {

constexpr int kMaxJsonDepth = 200;  // below Python's recursion limit, safe for a 4 MB wasm stack

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  Result<Value> parse_document() {
    skip_ws();
    Value v;
    CHORD_TRY(parse_value(v, 0));
    skip_ws();
    if (pos_ != s_.size()) return fail("extra data");
    return v;
  }

 private:
  Status fail(const char* what) const {
    return Status(Code::template_error, std::string("invalid JSON: ") + what + " at offset " + std::to_string(pos_));
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool consume(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }

  Status parse_value(Value& out, int depth) {
    if (depth > kMaxJsonDepth) return fail("nesting too deep");
    if (pos_ >= s_.size()) return fail("unexpected end");
    char c = s_[pos_];
    if (c == '{') return parse_object(out, depth);
    if (c == '[') return parse_array(out, depth);
    if (c == '"') {
      std::string str;
      CHORD_TRY(parse_string(str));
      out = Value(std::move(str));
      return Status::Ok();
    }
    if (consume("true")) {
      out = Value(true);
      return Status::Ok();
    }
    if (consume("false")) {
      out = Value(false);
      return Status::Ok();
    }
    if (consume("null")) {
      out = Value();
      return Status::Ok();
    }
    if (consume("NaN")) {
      out = Value(std::nan(""));
      return Status::Ok();
    }
    if (consume("Infinity")) {
      out = Value(HUGE_VAL);
      return Status::Ok();
    }
    if (consume("-Infinity")) {
      out = Value(-HUGE_VAL);
      return Status::Ok();
    }
    return parse_number(out);
  }

  Status parse_number(Value& out) {
    std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) return fail("unexpected character");
    if (s_[pos_] == '0')
      ++pos_;
    else
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_float = true;
      ++pos_;
      if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) return fail("bad number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_float = true;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) return fail("bad number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    std::string num(s_.substr(start, pos_ - start));
    if (!is_float) {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(num.c_str(), &end, 10);
      if (errno == 0) {
        out = Value(static_cast<std::int64_t>(v));
        return Status::Ok();
      }
    }
    out = Value(std::strtod(num.c_str(), nullptr));
    return Status::Ok();
  }

  Status parse_hex4(unsigned& v) {
    if (pos_ + 4 > s_.size()) return fail("bad \\u escape");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return fail("bad \\u escape");
    }
    return Status::Ok();
  }

  Status parse_string(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return Status::Ok();
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return fail("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          unsigned cp;
          CHORD_TRY(parse_hex4(cp));
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            std::size_t save = pos_;
            pos_ += 2;
            unsigned lo;
            CHORD_TRY(parse_hex4(lo));
            if (lo >= 0xDC00 && lo <= 0xDFFF)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else
              pos_ = save;
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
          text::append_utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  Status parse_array(Value& out, int depth) {
    ++pos_;
    Array items;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out = Value::array();
      return Status::Ok();
    }
    while (true) {
      skip_ws();
      Value v;
      CHORD_TRY(parse_value(v, depth + 1));
      items.push_back(std::move(v));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        break;
      }
      return fail("expected ',' or ']'");
    }
    out = Value::array(std::move(items));
    return Status::Ok();
  }

  Status parse_object(Value& out, int depth) {
    ++pos_;
    Object obj;
    std::unordered_map<std::string, std::size_t> index;  // duplicate keys: last value wins
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out = Value::object();
      return Status::Ok();
    }
    while (true) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected string key");
      std::string key;
      CHORD_TRY(parse_string(key));
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      skip_ws();
      Value v;
      CHORD_TRY(parse_value(v, depth + 1));
      auto it = index.find(key);
      if (it != index.end()) {
        obj.entries[it->second].second = std::move(v);
      } else {
        index.emplace(key, obj.entries.size());
        obj.entries.emplace_back(std::move(key), std::move(v));
      }
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        break;
      }
      return fail("expected ',' or '}'");
    }
    out = Value::object(std::move(obj));
    return Status::Ok();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

void write_json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  char buf[16];
  auto uesc = [&](unsigned v) {
    std::snprintf(buf, sizeof buf, "\\u%04x", v);
    out += buf;
  };
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || (ensure_ascii && c == 0x7F))
            uesc(c);
          else
            out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    // Non-ASCII: copy as is, or escape each code point (surrogate pairs above U+FFFF).
    std::size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80 && j - i < 4) ++j;
    if (!ensure_ascii) {
      out.append(s.substr(i, j - i));
    } else {
      for (char32_t cp : text::decode(s.substr(i, j - i))) {
        if (cp >= 0x10000 && !(cp >= 0xDC80 && cp <= 0xDCFF)) {
          cp -= 0x10000;
          uesc(0xD800 + (cp >> 10));
          uesc(0xDC00 + (cp & 0x3FF));
        } else {
          uesc(cp);
        }
      }
    }
    i = j;
  }
  out.push_back('"');
}

class JsonWriter {
 public:
  JsonWriter(const JsonOptions& o, std::string& out) : o_(o), out_(out) {
    if (!o.indent_str.empty())
      unit_ = o.indent_str;
    else if (o.indent > 0)
      unit_ = std::string(static_cast<std::size_t>(o.indent), ' ');
    pretty_ = o.indent >= 0 || !o.indent_str.empty();
  }

  Status write(const Value& v, int level) {
    if (level > kMaxJsonDepth) return Status(Code::template_error, "tojson: value nested too deeply");
    if (out_.size() > o_.max_bytes) return Status(Code::template_error, "tojson: output exceeds the size limit");
    switch (v.kind()) {
      case Kind::null:
        out_ += "null";
        return Status::Ok();
      case Kind::boolean:
        out_ += v.as_bool() ? "true" : "false";
        return Status::Ok();
      case Kind::integer:
        out_ += std::to_string(v.as_int());
        return Status::Ok();
      case Kind::real: {
        double d = v.as_real();
        if (std::isnan(d))
          out_ += "NaN";
        else if (std::isinf(d))
          out_ += d > 0 ? "Infinity" : "-Infinity";
        else
          out_ += text::float_repr(d);
        return Status::Ok();
      }
      case Kind::string:
        write_json_string(out_, v.as_string(), o_.ensure_ascii);
        return Status::Ok();
      case Kind::array: {
        if (!is_list_or_tuple(v)) return not_serializable(type_name(v));
        const Array& a = v.as_array();
        if (a.empty()) {
          out_ += "[]";
          return Status::Ok();
        }
        out_.push_back('[');
        for (std::size_t i = 0; i < a.size(); ++i) {
          if (i) out_ += o_.item_sep;
          newline(level + 1);
          CHORD_TRY(write(a[i], level + 1));
        }
        newline(level);
        out_.push_back(']');
        return Status::Ok();
      }
      case Kind::object: {
        const Object& obj = v.as_object();
        if (obj.entries.empty()) {
          out_ += "{}";
          return Status::Ok();
        }
        std::vector<const std::pair<std::string, Value>*> order;
        for (const auto& e : obj.entries) order.push_back(&e);
        if (o_.sort_keys)
          std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
        out_.push_back('{');
        for (std::size_t i = 0; i < order.size(); ++i) {
          if (i) out_ += o_.item_sep;
          newline(level + 1);
          if (order[i]->first == std::string_view("\0u", 2))
            return Status(Code::template_error, "keys must be str, int, float, bool or None, not Undefined");
          write_json_string(out_, key_json(order[i]->first), o_.ensure_ascii);
          out_ += o_.key_sep;
          CHORD_TRY(write(order[i]->second, level + 1));
        }
        newline(level);
        out_.push_back('}');
        return Status::Ok();
      }
      case Kind::undefined:
        return not_serializable("Undefined");
      case Kind::ns:
        return not_serializable("Namespace");
      case Kind::callable:
        return not_serializable("function");
      case Kind::loop:
        return not_serializable("LoopContext");
    }
    return not_serializable("object");
  }

 private:
  Status not_serializable(const char* type) {
    return Status(Code::template_error, std::string("Object of type ") + type + " is not JSON serializable");
  }
  void newline(int level) {
    if (out_.size() > o_.max_bytes) return;  // reported by write()
    if (!pretty_) return;
    out_.push_back('\n');
    for (int i = 0; i < level; ++i) out_ += unit_;
  }

  const JsonOptions& o_;
  std::string& out_;
  std::string unit_;
  bool pretty_ = false;
};

}  // namespace

Result<Value> parse_json(std::string_view text) { return JsonParser(text).parse_document(); }

Result<std::string> dump_json(const Value& v, const JsonOptions& opts) {
  std::string out;
  CHORD_TRY(JsonWriter(opts, out).write(v, 0));
  if (out.size() > opts.max_bytes) return Status(Code::template_error, "tojson: output exceeds the size limit");
  return out;
}

std::string to_json(const Value& v, int indent) {
  JsonOptions o;
  o.indent = indent;
  if (indent >= 0) o.item_sep = ",";
  auto r = dump_json(v, o);
  return r.ok() ? r.value() : std::string();
}

}  // namespace chord::tmpl
