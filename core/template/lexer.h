// Template lexer: splits source into data and tag tokens the way jinja2's lexer does with HF's
// settings (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, '-'/'+' markers).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace chord::tmpl {

enum class Tok : std::uint8_t {
  data,         // literal template text (after whitespace control)
  var_begin,    // {{
  var_end,      // }}
  block_begin,  // {%
  block_end,    // %}
  name,         // identifier or keyword
  string,       // string literal, value unescaped
  integer,      // ival
  floating,     // fval
  op,           // operator / punctuation, value holds its text
  eof,
};

struct Token {
  Tok type = Tok::eof;
  int line = 1;       // 1-based source line where the token starts
  std::string value;  // data text, name, unescaped string, operator text
  std::int64_t ival = 0;
  double fval = 0;
};

// Fails with template_error (naming the line) on unterminated tags/comments/strings and
// characters that cannot start a token.
Result<std::vector<Token>> lex(std::string_view source);

}  // namespace chord::tmpl
