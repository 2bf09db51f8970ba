// GBNF grammars (llama.cpp's syntax and semantics): the parsed form, a flat array of elements per
// rule as llama.cpp lays them out, and the parser that rejects what llama.cpp rejects.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace chord::grammar {

enum class ElemType : uint8_t {
  end,        // end of a rule
  alt,        // start of another alternative of the rule
  rule_ref,   // value: rule id
  chr,        // value: code point; starts a char set ("x" or [x...])
  chr_not,    // value: code point; starts a negated char set [^x...]
  chr_alt,    // value: code point; another member of the current set
  chr_upper,  // value: inclusive upper bound of a range whose lower bound is the previous element
  chr_any,    // `.`: any code point
};

struct Elem {
  ElemType type = ElemType::end;
  uint32_t value = 0;
};

struct Grammar {
  // All rules' elements back to back; rule r is elems[rule_start[r] ..] up to its `end`.
  std::vector<Elem> elems;           // (sum of rule lengths)
  std::vector<uint32_t> rule_start;  // (n_rules) offset of each rule in elems
  std::vector<std::string> names;    // (n_rules) symbol name; generated ones are "<rule>_<id>"
  uint32_t root = 0;                 // start rule id
};

// Parses GBNF text. Errors are invalid_argument with a "line:col" position where one applies:
// syntax errors, unknown escapes, undefined rules, a missing start symbol, left recursion and the
// repetition limits llama.cpp enforces. `<token>` references (vocabulary-specific) are unsupported.
Result<Grammar> parse_gbnf(std::string_view text, std::string_view root = "root");

// Char-set helpers shared by the matcher: does code point `cp` satisfy the set starting at `pos`,
// and where does the set end (the element after its last member).
bool is_char_start(ElemType t);
bool match_char(const Elem* pos, uint32_t cp, const Elem** after);

}  // namespace chord::grammar
