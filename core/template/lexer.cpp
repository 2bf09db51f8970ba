// Template lexer mirroring jinja2.lexer with trim_blocks and lstrip_blocks (see lexer.h).
#include "core/template/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "core/template/text.h"

namespace chord::tmpl {

namespace {

// Length of the whitespace code point starting at s[i] (Python's \s), or 0.
std::size_t space_at(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return text::is_space(c) ? 1 : 0;
  std::size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  auto cps = text::decode(s.substr(i, len));
  return cps.size() == 1 && text::is_space(cps[0]) ? len : 0;
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    std::size_t n = space_at(s, i);
    if (!n) break;
    i += n;
  }
  return i;
}

// Start of the trailing whitespace run of s.
std::size_t rstrip_pos(std::string_view s) {
  std::size_t e = s.size();
  while (e > 0) {
    std::size_t b = e - 1;
    while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80 && e - b < 4) --b;
    if (space_at(s, b) != e - b) break;
    e = b;
  }
  return e;
}

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(std::string_view source) {
    // Newlines normalised to \n; one trailing newline dropped (keep_trailing_newline=False).
    src_.reserve(source.size());
    for (std::size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        src_.push_back('\n');
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        src_.push_back(source[i]);
      }
    }
    if (!src_.empty() && src_.back() == '\n') src_.pop_back();
  }

  Result<std::vector<Token>> run() {
    std::string_view s = src_;
    std::size_t pos = 0;
    bool line_starting = true;
    while (pos < s.size()) {
      std::size_t k = pos;
      while (true) {
        k = s.find('{', k);
        if (k == std::string_view::npos || k + 1 >= s.size()) {
          k = std::string_view::npos;
          break;
        }
        char n = s[k + 1];
        if (n == '{' || n == '%' || n == '#') break;
        ++k;
      }
      if (k == std::string_view::npos) {
        emit_data(s.substr(pos));
        break;
      }
      char kind = s[k + 1];
      std::size_t p = k + 2;
      char sign = 0;
      if (p < s.size() && (s[p] == '-' || s[p] == '+')) sign = s[p++];
      std::size_t raw_end = kind == '%' ? match_raw_begin(s, p) : 0;

      std::string_view txt = s.substr(pos, k - pos);
      int text_newlines = count_nl(txt);
      txt = strip_text(txt, sign, kind != '{', line_starting);
      emit_data(txt);
      line_ += text_newlines;

      if (raw_end) {
        line_ += count_nl(s.substr(p, raw_end - p));
        CHORD_TRY(lex_raw(s, raw_end, pos, line_starting));
        continue;
      }
      if (kind == '#') {
        CHORD_TRY(lex_comment(s, p, pos, line_starting));
        continue;
      }
      CHORD_TRY(lex_tag(s, kind, p, pos, line_starting));
    }
    tokens_.push_back(Token{Tok::eof, line_, {}, 0, 0});
    return std::move(tokens_);
  }

 private:
  static int count_nl(std::string_view t) {
    int n = 0;
    for (char c : t) n += c == '\n';
    return n;
  }

  Status fail(const std::string& msg) const {
    return Status(Code::template_error, "line " + std::to_string(line_) + ": " + msg);
  }

  void emit_data(std::string_view t) {
    if (t.empty()) return;
    tokens_.push_back(Token{Tok::data, line_, std::string(t), 0, 0});
  }

  // '-' strips all whitespace before the tag; otherwise lstrip_blocks strips the indentation of
  // a block/comment tag that is alone at the start of its line.
  static std::string_view strip_text(std::string_view t, char sign, bool lstrip_kind, bool line_starting) {
    if (sign == '-') return t.substr(0, rstrip_pos(t));
    if (sign == '+' || !lstrip_kind) return t;
    std::size_t nl = t.rfind('\n');
    std::size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
    if (l_pos > 0 || line_starting) {
      std::string_view tail = t.substr(l_pos);
      if (!tail.empty() && skip_spaces(tail, 0) == tail.size()) return t.substr(0, l_pos);
    }
    return t;
  }

  // {%(-|+)? \s* raw \s* (-%}\s* | %}) ; returns the end position or 0.
  static std::size_t match_raw_begin(std::string_view s, std::size_t p) {
    std::size_t q = skip_spaces(s, p);
    if (s.substr(q, 3) != "raw") return 0;
    q = skip_spaces(s, q + 3);
    if (s.substr(q, 3) == "-%}") return skip_spaces(s, q + 3);
    if (s.substr(q, 2) == "%}") return q + 2;
    return 0;
  }

  Status lex_raw(std::string_view s, std::size_t start, std::size_t& pos, bool& line_starting) {
    if (start >= s.size()) {
      pos = start;
      return Status::Ok();
    }
    std::size_t q = start;
    while (true) {
      q = s.find("{%", q);
      if (q == std::string_view::npos) return fail("Missing end of raw directive");
      std::size_t p = q + 2;
      char sign = 0;
      if (p < s.size() && (s[p] == '-' || s[p] == '+')) sign = s[p++];
      p = skip_spaces(s, p);
      if (s.substr(p, 6) == "endraw") {
        p = skip_spaces(s, p + 6);
        std::size_t end = 0;
        if (s.substr(p, 3) == "+%}")
          end = p + 3;
        else if (s.substr(p, 3) == "-%}")
          end = skip_spaces(s, p + 3);
        else if (s.substr(p, 2) == "%}")
          end = (p + 2 < s.size() && s[p + 2] == '\n') ? p + 3 : p + 2;
        if (end) {
          std::string_view body = s.substr(start, q - start);
          int nl = count_nl(s.substr(start, end - start));
          emit_data(strip_text(body, sign, true, false));
          line_ += nl;
          pos = end;
          line_starting = s[end - 1] == '\n';
          return Status::Ok();
        }
      }
      q += 2;
    }
  }

  Status lex_comment(std::string_view s, std::size_t p, std::size_t& pos, bool& line_starting) {
    if (p >= s.size()) {  // jinja2's tokenizer simply stops at the end of input
      pos = p;
      return Status::Ok();
    }
    for (std::size_t q = p; q + 1 < s.size(); ++q) {
      std::size_t end = 0;
      if (s[q] == '+' && s.substr(q, 3) == "+#}")
        end = q + 3;
      else if (s[q] == '-' && s.substr(q, 3) == "-#}")
        end = skip_spaces(s, q + 3);
      else if (s[q] == '#' && s[q + 1] == '}')
        end = (q + 2 < s.size() && s[q + 2] == '\n') ? q + 3 : q + 2;
      if (end) {
        line_ += count_nl(s.substr(p, end - p));
        pos = end;
        line_starting = s[end - 1] == '\n';
        return Status::Ok();
      }
    }
    return fail("Missing end of comment tag");
  }

  Status lex_tag(std::string_view s, char kind, std::size_t p, std::size_t& pos, bool& line_starting) {
    bool block = kind == '%';
    tokens_.push_back(Token{block ? Tok::block_begin : Tok::var_begin, line_, {}, 0, 0});
    std::string balance;  // expected closers
    while (true) {
      if (p >= s.size())
        return fail(block ? "unexpected end of template, expected end of statement block"
                          : "unexpected end of template, expected end of print statement");
      if (balance.empty()) {
        std::size_t end = 0;
        if (block) {
          if (s.substr(p, 3) == "+%}")
            end = p + 3;
          else if (s.substr(p, 3) == "-%}")
            end = skip_spaces(s, p + 3);
          else if (s.substr(p, 2) == "%}")
            end = (p + 2 < s.size() && s[p + 2] == '\n') ? p + 3 : p + 2;
        } else {
          if (s.substr(p, 3) == "-}}")
            end = skip_spaces(s, p + 3);
          else if (s.substr(p, 2) == "}}")
            end = p + 2;
        }
        if (end) {
          tokens_.push_back(Token{block ? Tok::block_end : Tok::var_end, line_, {}, 0, 0});
          line_ += count_nl(s.substr(p, end - p));
          pos = end;
          line_starting = s[end - 1] == '\n';
          return Status::Ok();
        }
      }
      std::size_t ws = skip_spaces(s, p);
      if (ws != p) {
        line_ += count_nl(s.substr(p, ws - p));
        p = ws;
        continue;
      }
      char c = s[p];
      if (is_digit(c)) {
        CHORD_TRY(lex_number(s, p));
        continue;
      }
      if (is_ident_start(c)) {
        std::size_t q = p + 1;
        while (q < s.size() && (is_ident_start(s[q]) || is_digit(s[q]))) ++q;
        tokens_.push_back(Token{Tok::name, line_, std::string(s.substr(p, q - p)), 0, 0});
        p = q;
        continue;
      }
      if (c == '\'' || c == '"') {
        std::size_t q = p + 1;
        while (q < s.size() && s[q] != c) q += s[q] == '\\' ? 2 : 1;
        if (q < s.size()) {
          Token t{Tok::string, line_, {}, 0, 0};
          CHORD_TRY(unescape(s.substr(p + 1, q - p - 1), t.value));
          tokens_.push_back(std::move(t));
          line_ += count_nl(s.substr(p, q - p));
          p = q + 1;
          continue;
        }
      }
      static const char* const kOps[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[",
                                         "]",  "(",  ")",  "{",  "}",  ">",  "<", "=", ".", ":", "|", ",", ";"};
      std::string_view op;
      for (const char* o : kOps) {
        std::string_view ov(o);
        if (s.substr(p, ov.size()) == ov) {
          op = ov;
          break;
        }
      }
      if (op.empty()) {
        return fail(std::string("unexpected char '") + (static_cast<unsigned char>(c) < 0x20 ? '?' : c) + "'");
      }
      if (op == "(" || op == "[" || op == "{") {
        balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
      } else if (op == ")" || op == "]" || op == "}") {
        if (balance.empty()) return fail("unexpected '" + std::string(op) + "'");
        if (balance.back() != op[0])
          return fail("unexpected '" + std::string(op) + "', expected '" + std::string(1, balance.back()) + "'");
        balance.pop_back();
      }
      tokens_.push_back(Token{Tok::op, line_, std::string(op), 0, 0});
      p += op.size();
    }
  }

  // jinja2 float_re / integer_re: digits with '_' separators, fraction and/or exponent.
  Status lex_number(std::string_view s, std::size_t& p) {
    auto digits = [&](std::size_t q) {  // (\d+_)*\d+ ; returns end or q if none
      std::size_t r = q;
      while (r < s.size() && is_digit(s[r])) {
        while (r < s.size() && is_digit(s[r])) ++r;
        if (r + 1 < s.size() && s[r] == '_' && is_digit(s[r + 1]))
          ++r;
        else
          break;
      }
      return r;
    };
    std::size_t q = digits(p);
    std::size_t end = q;
    bool is_float = false;
    if (end + 1 < s.size() && s[end] == '.' && is_digit(s[end + 1])) {
      end = digits(end + 1);
      is_float = true;
    }
    if (end < s.size() && (s[end] == 'e' || s[end] == 'E')) {
      std::size_t e = end + 1;
      if (e < s.size() && (s[e] == '+' || s[e] == '-')) ++e;
      if (e < s.size() && is_digit(s[e])) {
        end = digits(e);
        is_float = true;
      }
    }
    std::string num;
    for (std::size_t i = p; i < end; ++i)
      if (s[i] != '_') num.push_back(s[i]);
    Token t{is_float ? Tok::floating : Tok::integer, line_, num, 0, 0};
    if (is_float) {
      t.fval = std::strtod(num.c_str(), nullptr);
    } else {
      if (num.size() > 1 && num[0] == '0') {  // integer_re: 0(_?0)* only; "012" lexes as 0, 12
        std::size_t z = 1;
        while (z < num.size() && num[z] == '0') ++z;
        end = p;
        for (std::size_t seen = 0; seen < z; ++end) seen += s[end] != '_';
        num.resize(z);
        t.value = num;
      }
      errno = 0;
      t.ival = std::strtoll(num.c_str(), nullptr, 10);
      if (errno != 0) return fail("integer literal too large: " + num);
    }
    tokens_.push_back(std::move(t));
    p = end;
    return Status::Ok();
  }

  // Python 'unicode-escape' decoding as jinja2 applies it to string literals.
  Status unescape(std::string_view in, std::string& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      if (c != '\\' || i + 1 >= in.size()) {
        out.push_back(c);
        continue;
      }
      char e = in[++i];
      auto hex = [&](int n, char32_t& v) {
        v = 0;
        for (int k = 1; k <= n; ++k) {
          if (i + k >= in.size()) return false;
          char h = in[i + k];
          int d = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) return false;
          v = v * 16 + static_cast<char32_t>(d);
        }
        i += n;
        return true;
      };
      char32_t v = 0;
      switch (e) {
        case '\n':
          break;  // line continuation
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
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
        case 'v':
          out.push_back('\v');
          break;
        case 'x':
          if (!hex(2, v)) return fail("truncated \\xXX escape in string literal");
          text::append_utf8(out, v);
          break;
        case 'u':
        case 'U':
          if (!hex(e == 'u' ? 4 : 8, v)) return fail("truncated \\uXXXX escape in string literal");
          if (v > 0x10FFFF) return fail("illegal Unicode character in string literal");
          if (v >= 0xD800 && v <= 0xDFFF) v = 0xFFFD;
          text::append_utf8(out, v);
          break;
        case 'N':
          return fail("\\N{...} escapes are not supported");
        default:
          if (e >= '0' && e <= '7') {
            v = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '7'; ++k)
              v = v * 8 + static_cast<char32_t>(in[++i] - '0');
            text::append_utf8(out, v);
          } else {
            out.push_back('\\');  // unknown escapes stay as written
            out.push_back(e);
          }
      }
    }
    return Status::Ok();
  }

  std::string src_;
  std::vector<Token> tokens_;
  int line_ = 1;
};

}  // namespace

Result<std::vector<Token>> lex(std::string_view source) { return Lexer(source).run(); }

}  // namespace chord::tmpl
