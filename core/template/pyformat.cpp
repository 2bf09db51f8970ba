// Python string formatting: printf-style `str % args` (flags, width, precision and the s r a d i
// u o x X e E f F g G c conversions, %(key)s with a mapping) and str.format() fields.
#include <cmath>
#include <cstdio>

#include "core/template/filters_util.h"
#include "core/template/text.h"

namespace chord::tmpl {

namespace {

// ascii(): repr with non-ASCII code points escaped.
std::string ascii_of(const std::string& repr) {
  std::string out;
  char buf[16];
  for (char32_t c : text::decode(repr)) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (c <= 0xFF)
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
    else if (c <= 0xFFFF)
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
    else
      std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
    out += buf;
  }
  return out;
}

struct Spec {
  bool left = false, plus = false, space = false, zero = false, alt = false;
  long width = -1, prec = -1;
};

// Pads `body` (sign and prefix already included, `sign_len` bytes of them) to the width.
std::string pad(const std::string& body, std::size_t sign_len, const Spec& sp, bool numeric) {
  std::size_t len = text::length(body);
  if (sp.width < 0 || static_cast<std::size_t>(sp.width) <= len) return body;
  std::size_t fill = static_cast<std::size_t>(sp.width) - len;
  if (sp.left) return body + std::string(fill, ' ');
  if (sp.zero && numeric) return body.substr(0, sign_len) + std::string(fill, '0') + body.substr(sign_len);
  return std::string(fill, ' ') + body;
}

std::string sign_of(bool neg, const Spec& sp) { return neg ? "-" : sp.plus ? "+" : sp.space ? " " : ""; }

Result<std::string> format_one(char conv, const Value& v, const Spec& sp, bool escape, std::size_t max_bytes) {
  switch (conv) {
    case 's':
    case 'r':
    case 'a': {
      std::string s;
      if (conv == 's')
        CHORD_TRY(py_str(v, s, max_bytes));
      else
        CHORD_TRY(py_repr(v, s, max_bytes));
      if (conv == 'a') s = ascii_of(s);
      if (escape && !(conv == 's' && v.is_safe())) s = text::html_escape(s);
      if (sp.prec >= 0) {
        auto cps = text::decode(s);
        if (static_cast<std::size_t>(sp.prec) < cps.size()) s = text::encode(cps, 0, static_cast<std::size_t>(sp.prec));
      }
      return pad(s, 0, sp, false);
    }
    case 'c': {
      std::string s;
      if (v.is_int() && v.as_int() >= 0 && v.as_int() <= 0x10FFFF)
        text::append_utf8(s, static_cast<char32_t>(v.as_int()));
      else if (v.is_string() && text::length(v.as_string()) == 1)
        s = v.as_string();
      else
        return err("%c requires int or char");
      return pad(s, 0, sp, false);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
      std::int64_t n;
      if (v.is_int() || v.is_bool()) {
        n = v.is_bool() ? v.as_bool() : v.as_int();
      } else if (v.is_real() && (conv == 'd' || conv == 'i' || conv == 'u')) {
        if (!(std::fabs(v.as_real()) < 9e18)) return err("%d format: number out of range");
        n = static_cast<std::int64_t>(v.as_real());
      } else {
        return err(std::string("%") + conv +
                   " format: " + (conv == 'd' || conv == 'i' || conv == 'u' ? "a real number" : "an integer") +
                   " is required, not " + type_name(v));
      }
      bool neg = n < 0;
      unsigned long long mag = neg ? 0ULL - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
      char buf[80];
      const char* f = conv == 'o' ? "%llo" : conv == 'x' ? "%llx" : conv == 'X' ? "%llX" : "%llu";
      std::snprintf(buf, sizeof buf, f, mag);
      std::string digits = buf;
      if (sp.prec > 0 && static_cast<std::size_t>(sp.prec) > digits.size()) {
        if (sp.prec > 10000) return err("precision too large");
        digits = std::string(static_cast<std::size_t>(sp.prec) - digits.size(), '0') + digits;
      }
      std::string prefix = sign_of(neg, sp);
      if (sp.alt && conv == 'o') prefix += "0o";
      if (sp.alt && (conv == 'x' || conv == 'X')) prefix += conv == 'x' ? "0x" : "0X";
      return pad(prefix + digits, prefix.size(), sp, true);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (!v.is_number()) return err(std::string("must be real number, not ") + type_name(v));
      double d = v.as_double();
      if (sp.prec > 300) return err("precision too large");
      char f[16], buf[512];
      std::snprintf(f, sizeof f, "%%%s.%ld%c", sp.alt ? "#" : "", sp.prec < 0 ? 6L : sp.prec, conv);
      std::snprintf(buf, sizeof buf, f, std::fabs(d));
      std::string prefix = sign_of(std::signbit(d) && !std::isnan(d), sp);
      return pad(prefix + buf, prefix.size(), sp, std::isfinite(d));
    }
    default:
      return err(std::string("unsupported format character '") + conv + "'");
  }
}

}  // namespace

Result<Value> percent_format(const Value& fmt, const Value& arg, std::size_t max_bytes) {
  // Python's str % treats anything with __getitem__ but a tuple or str as a mapping: dicts, lists,
  // ranges and jinja2's Undefined (whose lookups raise). A mapping may stand as the one positional
  // arg, and extra ones are no error.
  bool mapping =
      arg.is_object() || arg.is_undefined() || (arg.is_array() && (arg.seq() == Seq::list || arg.seq() == Seq::range));
  Array args = arg.is_array() && arg.is_tuple() ? arg.as_array() : Array{arg};
  const std::string& f = fmt.as_string();
  bool escape = fmt.is_safe();
  std::string out;
  std::size_t ai = 0;
  auto next_arg = [&]() -> Result<Value> {
    if (ai >= args.size()) return err("not enough arguments for format string");
    return args[ai++];
  };
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out.push_back(f[i]);
      continue;
    }
    if (++i >= f.size()) return err("incomplete format");
    Value v;
    bool have_v = false;
    if (f[i] == '(') {  // %(key)s
      std::size_t close = f.find(')', i);
      if (close == std::string::npos) return err("incomplete format key");
      if (!mapping) return err("format requires a mapping");
      if (arg.is_undefined()) return undefined_error(arg);
      if (arg.is_array()) return err(std::string(type_name(arg)) + " indices must be integers or slices, not str");
      const Value* found = arg.find(f.substr(i + 1, close - i - 1));
      if (!found) return err("'" + f.substr(i + 1, close - i - 1) + "'");
      v = *found;
      have_v = true;
      i = close + 1;
    }
    Spec sp;
    for (; i < f.size(); ++i) {
      char c = f[i];
      if (c == '-')
        sp.left = true;
      else if (c == '+')
        sp.plus = true;
      else if (c == ' ')
        sp.space = true;
      else if (c == '0')
        sp.zero = true;
      else if (c == '#')
        sp.alt = true;
      else
        break;
    }
    auto number = [&](long& dst) -> Status {
      if (i < f.size() && f[i] == '*') {
        CHORD_ASSIGN_OR_RETURN(Value w, next_arg());
        if (!w.is_int()) return err("* wants int");
        dst = static_cast<long>(std::max<std::int64_t>(-1000000, std::min<std::int64_t>(w.as_int(), 1000000)));
        ++i;
        return Status::Ok();
      }
      long n = -1;
      while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
        n = (n < 0 ? 0 : n) * 10 + (f[i++] - '0');
        if (n > 1000000) return err("width/precision too big");
      }
      if (n >= 0) dst = n;
      return Status::Ok();
    };
    CHORD_TRY(number(sp.width));
    if (sp.width < -1) {
      sp.left = true;
      sp.width = -sp.width;
    }
    if (i < f.size() && f[i] == '.') {
      ++i;
      sp.prec = 0;
      CHORD_TRY(number(sp.prec));
    }
    while (i < f.size() && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L')) ++i;
    if (i >= f.size()) return err("incomplete format");
    char conv = f[i];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    if (!have_v) {
      CHORD_ASSIGN_OR_RETURN(v, next_arg());
    }
    if (sp.width > static_cast<long>(max_bytes)) return err("string too long (output size limit)");
    CHORD_ASSIGN_OR_RETURN(std::string piece, format_one(conv, v, sp, escape, max_bytes));
    out += piece;
    if (out.size() > max_bytes) return err("string too long (output size limit)");
  }
  if (!mapping && ai < args.size()) return err("not all arguments converted during string formatting");
  return make_str(std::move(out), fmt.is_safe());
}

// str.format with positional/keyword fields, !r/!s conversions and an empty format spec.
Result<Value> str_format(Renderer& r, const Value& self, CallArgs& a) {
  const std::string& f = self.as_string();
  std::string out;
  std::size_t auto_idx = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    char c = f[i];
    if (c == '}') {
      if (i + 1 < f.size() && f[i + 1] == '}')
        ++i;
      else
        return err("Single '}' encountered in format string");
      out.push_back('}');
      continue;
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < f.size() && f[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    std::size_t close = f.find('}', i);
    if (close == std::string::npos) return err("Single '{' encountered in format string");
    std::string field = f.substr(i + 1, close - i - 1);
    i = close;
    char conv = 0;
    std::size_t bang = field.find('!');
    if (bang != std::string::npos) {
      conv = bang + 1 < field.size() ? field[bang + 1] : 0;
      field = field.substr(0, bang);
    }
    if (field.find(':') != std::string::npos) return err("str.format(): format specs are not supported");
    const Value* v = nullptr;
    if (field.empty()) {
      if (auto_idx >= a.pos.size()) return err("Replacement index " + std::to_string(auto_idx) + " out of range");
      v = &a.pos[auto_idx++];
    } else if (std::all_of(field.begin(), field.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      std::size_t k = field.size() < 10 ? std::stoul(field) : a.pos.size();
      if (k >= a.pos.size()) return err("Replacement index " + field + " out of range");
      v = &a.pos[k];
    } else {
      for (const auto& kw : a.kw)
        if (kw.first == field) v = &kw.second;
      if (!v) return err("'" + field + "'");
    }
    std::string piece;
    if (conv == 'r')
      CHORD_TRY(py_repr(*v, piece, r.max_string()));
    else
      CHORD_TRY(py_str(*v, piece, r.max_string()));
    out += self.is_safe() && !v->is_safe() ? text::html_escape(piece) : piece;
    CHORD_TRY(r.check_size(out.size()));
  }
  return make_str(std::move(out), self.is_safe());
}

}  // namespace chord::tmpl
