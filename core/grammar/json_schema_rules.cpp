// llama.cpp's building blocks for schema grammars (as in the llama.cpp that @fugood/llama.node
// ships: values carry no trailing `space`; objects and arrays allow it before their closer): the primitive rule table,
// literal escaping, repetition, decimal integer ranges by digit position, and the regex-pattern translation.
#include "core/grammar/json_schema_rules.h"

#include <map>

namespace chord::grammar::schema {
namespace {

const std::vector<Primitive>& primitives() {
  static const std::vector<Primitive> k = {
      {"boolean", R"(("true" | "false"))", {}},
      {"decimal-part", R"([0-9]{1,16})", {}},
      {"integral-part", R"([0] | [1-9] [0-9]{0,15})", {}},
      {"number",
       R"(("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)?)",
       {"integral-part", "decimal-part"}},
      {"integer", R"(("-"? integral-part))", {"integral-part"}},
      {"value",
       R"(object | array | string | number | boolean | null)",
       {"object", "array", "string", "number", "boolean", "null"}},
      {"object",
       R"("{" space ( string ":" space value ("," space string ":" space value)* )? space "}")",
       {"string", "value"}},
      {"array", R"("[" space ( value ("," space value)* )? space "]")", {"value"}},
      {"uuid",
       R"("\"" [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12} "\"")",
       {}},
      {"char", R"([^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4}))", {}},
      {"string", R"("\"" char* "\"")", {"char"}},
      {"null", R"("null")", {}},
  };
  return k;
}

const std::vector<Primitive>& formats() {
  static const std::vector<Primitive> k = {
      {"date", R"([0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | [1-2] [0-9] | "3" [0-1] ))", {}},
      {"time",
       R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{3} )? ( "Z" | ( "+" | "-" ) ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ))",
       {}},
      {"date-time", R"(date "T" time)", {"date", "time"}},
      {"date-string", R"("\"" date "\"")", {"date"}},
      {"time-string", R"("\"" time "\"")", {"time"}},
      {"date-time-string", R"("\"" date-time "\"")", {"date-time"}},
  };
  return k;
}

const Primitive* find_in(const std::vector<Primitive>& v, std::string_view name) {
  for (const auto& p : v)
    if (name == p.name) return &p;
  return nullptr;
}

std::string repeat_char(char c, size_t n) { return std::string(n, c); }

// Integer-range builder state: appends GBNF to `out` (llama.cpp's _build_min_max_int).
struct IntRange {
  std::string out;

  void digit_range(char from, char to) {
    out += '[';
    out += from;
    if (from != to) out += '-', out += to;
    out += ']';
  }
  void more_digits(int min_d, int max_d) {
    out += "[0-9]";
    if (min_d == max_d && min_d == 1) return;
    out += "{" + std::to_string(min_d);
    if (max_d != min_d) {
      out += ",";
      if (max_d != kNoMax) out += std::to_string(max_d);
    }
    out += "}";
  }
  // Same-length digit strings from <= to: every number between them, digit by digit.
  void uniform_range(std::string_view from, std::string_view to) {
    size_t i = 0;
    while (i < from.size() && i < to.size() && from[i] == to[i]) ++i;
    if (i > 0) out += "\"" + std::string(from.substr(0, i)) + "\"";
    if (i >= from.size() || i >= to.size()) return;
    if (i > 0) out += " ";
    const size_t sub_len = from.size() - i - 1;
    if (sub_len == 0) {
      digit_range(from[i], to[i]);
      return;
    }
    const std::string_view from_sub = from.substr(i + 1), to_sub = to.substr(i + 1);
    const std::string zeros = repeat_char('0', sub_len), nines = repeat_char('9', sub_len);
    bool to_reached = false;
    out += "(";
    if (from_sub == zeros) {
      digit_range(from[i], static_cast<char>(to[i] - 1));
      out += " ";
      more_digits(static_cast<int>(sub_len), static_cast<int>(sub_len));
    } else {
      out += "[";
      out += from[i];
      out += "] (";
      uniform_range(from_sub, nines);
      out += ")";
      if (from[i] < to[i] - 1) {
        out += " | ";
        if (to_sub == nines) {
          digit_range(static_cast<char>(from[i] + 1), to[i]);
          to_reached = true;
        } else {
          digit_range(static_cast<char>(from[i] + 1), static_cast<char>(to[i] - 1));
        }
        out += " ";
        more_digits(static_cast<int>(sub_len), static_cast<int>(sub_len));
      }
    }
    if (!to_reached) {
      out += " | ";
      digit_range(to[i], to[i]);
      out += " ";
      uniform_range(zeros, to_sub);
    }
    out += ")";
  }

  void build(int64_t min_v, int64_t max_v, int decimals_left, bool top) {
    const bool has_min = min_v != kNoMinInt, has_max = max_v != kNoMaxInt;
    if (has_min && has_max) {
      if (min_v < 0 && max_v < 0) {
        out += "\"-\" (";
        build(-max_v, -min_v, decimals_left, true);
        out += ")";
        return;
      }
      if (min_v < 0) {
        out += "\"-\" (";
        build(0, -min_v, decimals_left, true);
        out += ") | ";
        min_v = 0;
      }
      std::string min_s = std::to_string(min_v);
      const std::string max_s = std::to_string(max_v);
      for (size_t digits = min_s.size(); digits < max_s.size(); ++digits) {
        uniform_range(min_s, repeat_char('9', digits));
        min_s = "1" + repeat_char('0', digits);
        out += " | ";
      }
      uniform_range(min_s, max_s);
      return;
    }
    const int less = std::max(decimals_left - 1, 1);
    if (has_min) {
      if (min_v < 0) {
        out += "\"-\" (";
        build(kNoMinInt, -min_v, decimals_left, false);
        out += ") | [0] | [1-9] ";
        more_digits(0, decimals_left - 1);
      } else if (min_v == 0) {
        if (top) {
          out += "[0] | [1-9] ";
          more_digits(0, less);
        } else {
          more_digits(1, decimals_left);
        }
      } else if (min_v <= 9) {
        const char c = static_cast<char>('0' + min_v), start = top ? '1' : '0';
        if (c > start) {
          digit_range(start, static_cast<char>(c - 1));
          out += " ";
          more_digits(1, less);
          out += " | ";
        }
        digit_range(c, '9');
        out += " ";
        more_digits(0, less);
      } else {
        const std::string min_s = std::to_string(min_v);
        const int len = static_cast<int>(min_s.size());
        const char c = min_s[0];
        if (c > '1') {
          digit_range(top ? '1' : '0', static_cast<char>(c - 1));
          out += " ";
          more_digits(len, less);
          out += " | ";
        }
        digit_range(c, c);
        out += " (";
        build(std::stoll(min_s.substr(1)), kNoMaxInt, less, false);
        out += ")";
        if (c < '9') {
          out += " | ";
          digit_range(static_cast<char>(c + 1), '9');
          out += " ";
          more_digits(len - 1, less);
        }
      }
      return;
    }
    if (max_v >= 0) {  // only a maximum
      if (top) {
        out += "\"-\" [1-9] ";
        more_digits(0, less);
        out += " | ";
      }
      build(0, max_v, decimals_left, true);
    } else {
      out += "\"-\" (";
      build(-max_v, kNoMaxInt, decimals_left, false);
      out += ")";
    }
  }
};

}  // namespace

const Primitive* find_primitive(std::string_view name) { return find_in(primitives(), name); }
const Primitive* find_format(std::string_view name) { return find_in(formats(), name); }
bool is_reserved_name(std::string_view name) { return name == "root" || find_primitive(name) || find_format(name); }

std::string format_literal(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string build_repetition(const std::string& item, int min_n, int max_n, const std::string& sep) {
  const bool has_max = max_n != kNoMax;
  if (max_n == 0) return "";
  if (min_n == 0 && max_n == 1) return item + "?";
  if (sep.empty()) {
    if (min_n == 1 && !has_max) return item + "+";
    if (min_n == 0 && !has_max) return item + "*";
    return item + "{" + std::to_string(min_n) + "," + (has_max ? std::to_string(max_n) : "") + "}";
  }
  std::string r =
      item + " " +
      build_repetition("(" + sep + " " + item + ")", min_n == 0 ? 0 : min_n - 1, has_max ? max_n - 1 : max_n);
  return min_n == 0 ? "(" + r + ")?" : r;
}

std::string build_min_max_int(int64_t min_v, int64_t max_v) {
  IntRange r;
  r.build(min_v, max_v, 16, true);
  return r.out;
}

PatternResult convert_pattern(std::string_view pattern, const std::string& name,
                              const std::function<std::string(const std::string&, const std::string&)>& add_rule) {
  PatternResult res;
  if (pattern.size() < 2 || pattern.front() != '^' || pattern.back() != '$') {
    res.error = "pattern must start with '^' and end with '$'";
    return res;
  }
  const std::string_view p = pattern.substr(1, pattern.size() - 2);
  const size_t n = p.size();
  size_t i = 0;
  std::map<std::string, std::string> sub_ids;
  using Piece = std::pair<std::string, bool>;  // text, is_literal
  auto to_rule = [](const Piece& x) { return x.second ? "\"" + x.first + "\"" : x.first; };
  auto is_special = [](char c) { return std::string_view("|.()[]{}*+?").find(c) != std::string_view::npos; };
  auto escaped_plain = [](char c) { return std::string_view("^$.[]()|{}*+?").find(c) != std::string_view::npos; };
  auto fail = [&](const std::string& e) {
    if (res.error.empty()) res.error = e;
  };
  int depth = 0;
  std::function<Piece()> transform = [&]() -> Piece {
    const size_t start = i;
    std::vector<Piece> seq;
    auto join = [&]() {
      std::string out, lit;
      auto flush = [&]() {
        if (lit.empty()) return;
        if (!out.empty()) out += " ";
        out += "\"" + lit + "\"";
        lit.clear();
      };
      for (const Piece& x : seq) {
        if (x.second) {
          lit += x.first;
        } else {
          flush();
          if (!out.empty()) out += " ";
          out += x.first;
        }
      }
      flush();
      return Piece{out, false};
    };
    if (++depth > 200) {
      fail("pattern nests too deep");
      i = n;
    }
    while (i < n && res.error.empty()) {
      const char c = p[i];
      if (c == '.') {
        seq.emplace_back(add_rule("dot", "[^\\x0A\\x0D]"), false);
        ++i;
      } else if (c == '(') {
        ++i;
        if (i < n && p[i] == '?') {
          if (i + 1 < n && p[i + 1] == ':') {
            i += 2;
          } else {  // lookaround: unsupported, skipped like llama.cpp (with a warning there)
            int d = 1;
            while (i < n && d > 0) {
              if (p[i] == '\\' && i + 1 < n) {
                i += 2;
              } else {
                d += p[i] == '(' ? 1 : p[i] == ')' ? -1 : 0;
                ++i;
              }
            }
            continue;
          }
        }
        seq.emplace_back("(" + to_rule(transform()) + ")", false);
      } else if (c == ')') {
        ++i;
        if (start > 0 && p[start - 1] != '(' && (start < 2 || p[start - 2] != '?' || p[start - 1] != ':'))
          fail("unbalanced parentheses in pattern");
        --depth;
        return join();
      } else if (c == '[') {
        std::string set(1, c);
        ++i;
        while (i < n && p[i] != ']') {
          const size_t k = p[i] == '\\' ? 2 : 1;
          set += p.substr(i, k);
          i += k;
        }
        if (i >= n) fail("unbalanced square brackets in pattern");
        set += ']';
        ++i;
        seq.emplace_back(set, false);
      } else if (c == '|') {
        seq.emplace_back("|", false);
        ++i;
      } else if (c == '*' || c == '+' || c == '?') {
        if (seq.empty()) {
          fail(std::string("nothing to repeat before '") + c + "' in pattern");
          break;
        }
        seq.back() = Piece{to_rule(seq.back()) + c, false};
        ++i;
      } else if (c == '{') {
        std::string inner;
        ++i;
        while (i < n && p[i] != '}') inner += p[i++];
        if (i >= n) fail("unbalanced curly brackets in pattern");
        ++i;
        int min_t = 0, max_t = kNoMax;
        const size_t comma = inner.find(',');
        auto num = [&](const std::string& s, int& v) {
          if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return false;
          v = std::stoi(s);
          return true;
        };
        if (comma == std::string::npos) {
          if (!num(inner, min_t)) fail("invalid number in curly brackets in pattern");
          max_t = min_t;
        } else {
          const std::string a = inner.substr(0, comma), b = inner.substr(comma + 1);
          if (b.find(',') != std::string::npos) fail("wrong number of values in curly brackets in pattern");
          if (!a.empty() && !num(a, min_t)) fail("invalid number in curly brackets in pattern");
          if (!b.empty() && !num(b, max_t)) fail("invalid number in curly brackets in pattern");
        }
        if (seq.empty()) {
          fail("nothing to repeat before '{' in pattern");
          break;
        }
        Piece& last = seq.back();
        std::string sub = last.first;
        if (!last.second) {
          std::string& id = sub_ids[sub];
          if (id.empty()) id = add_rule(name + "-" + std::to_string(sub_ids.size()), sub);
          sub = id;
        }
        last = Piece{build_repetition(last.second ? "\"" + sub + "\"" : sub, min_t, max_t), false};
      } else {
        std::string lit;
        while (i < n) {
          if (p[i] == '\\' && i + 1 < n) {
            if (escaped_plain(p[i + 1])) {
              lit += p[i + 1];
            } else {
              lit += p.substr(i, 2);
            }
            i += 2;
          } else if (p[i] == '"') {
            lit += "\\\"";
            ++i;
          } else if (!is_special(p[i]) && (i == n - 1 || lit.empty() || p[i + 1] == '.' || !is_special(p[i + 1]))) {
            lit += p[i++];
          } else {
            break;
          }
        }
        if (lit.empty()) {  // a lone backslash at the end
          lit = std::string(1, p[i]);
          ++i;
        }
        seq.emplace_back(lit, true);
      }
    }
    --depth;
    return join();
  };
  const Piece top = transform();
  res.body = "\"\\\"\" (" + to_rule(top) + ") \"\\\"\"";
  return res;
}

}  // namespace chord::grammar::schema
