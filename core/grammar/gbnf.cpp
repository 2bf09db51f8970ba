// GBNF parser following llama.cpp's grammar parser rule for rule (rewrites of `*` `+` `?` `{m,n}`
// into generated rules, its repetition limits, names, escapes and lenient UTF-8 decoding), with
// errors as Status values that name the line and column.
#include "core/grammar/gbnf.h"

#include <algorithm>
#include <cstddef>
#include <map>

namespace chord::grammar {
namespace {

constexpr uint64_t kMaxRepetition = 2000;  // llama.cpp's MAX_REPETITION_THRESHOLD
using Rule = std::vector<Elem>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || is_digit(c); }
bool end_of_seq(const Elem& e) { return e.type == ElemType::end || e.type == ElemType::alt; }

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Status parse() {
    size_t pos = space(0, true);
    while (ok() && pos < s_.size()) pos = parse_rule(pos);
    if (!ok()) return err_;
    if (rules_.empty()) return Status(Code::invalid_argument, "grammar: no rules");
    for (uint32_t id = 0; id < rules_.size(); ++id)
      for (const Elem& e : rules_[id])
        if (e.type == ElemType::rule_ref && (e.value >= rules_.size() || rules_[e.value].empty()))
          return fail(first_ref_.at(e.value), "undefined rule '" + name_of(e.value) + "'");
    for (uint32_t id = 0; id < rules_.size(); ++id)  // a name defined only through a generated id
      if (rules_[id].empty())
        return fail(first_ref_.count(id) ? first_ref_[id] : 0, "undefined rule '" + name_of(id) + "'");
    return Status::Ok();
  }

  Result<Grammar> finish(std::string_view root) {
    auto it = ids_.find(std::string(root));
    if (it == ids_.end())
      return Status(Code::invalid_argument, "grammar: no '" + std::string(root) + "' rule (the start symbol)");
    CHORD_TRY(check_left_recursion());
    Grammar g;
    g.root = it->second;
    g.names.resize(rules_.size());
    for (const auto& [name, id] : ids_)
      if (id < g.names.size()) g.names[id] = name;
    for (const Rule& r : rules_) {
      g.rule_start.push_back(static_cast<uint32_t>(g.elems.size()));
      g.elems.insert(g.elems.end(), r.begin(), r.end());
    }
    return g;
  }

 private:
  bool ok() const { return err_.ok(); }
  char at(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

  // Records the first error (later ones are consequences) and returns a position past the end.
  Status fail(size_t pos, const std::string& msg) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < s_.size(); ++i) {
      if (s_[i] == '\n')
        ++line, col = 1;
      else
        ++col;
    }
    return Status(Code::invalid_argument, "grammar " + std::to_string(line) + ":" + std::to_string(col) + ": " + msg);
  }
  size_t error(size_t pos, const std::string& msg) {
    if (ok()) err_ = fail(pos, msg);
    return s_.size();
  }

  std::string name_of(uint32_t id) const {
    for (const auto& [name, i] : ids_)
      if (i == id) return name;
    return "#" + std::to_string(id);
  }
  uint32_t symbol_id(std::string_view name) {
    return ids_.emplace(std::string(name), static_cast<uint32_t>(ids_.size())).first->second;
  }
  uint32_t generate_id(const std::string& base) {
    const uint32_t id = static_cast<uint32_t>(ids_.size());
    ids_[base + "_" + std::to_string(id)] = id;
    return id;
  }
  void add_rule(uint32_t id, Rule r) {
    if (rules_.size() <= id) rules_.resize(id + 1);
    rules_[id] = std::move(r);
  }

  size_t space(size_t pos, bool newline_ok) const {
    for (;;) {
      const char c = at(pos);
      if (c == '#') {
        while (pos < s_.size() && s_[pos] != '\r' && s_[pos] != '\n') ++pos;
      } else if (c == ' ' || c == '\t' || (newline_ok && (c == '\r' || c == '\n'))) {
        ++pos;
      } else {
        return pos;
      }
    }
  }
  size_t name_end(size_t pos) {
    size_t e = pos;
    while (is_word(at(e))) ++e;
    return e == pos ? error(pos, "expecting a name") : e;
  }
  // Decimal integer at pos; sets `end`. Values past kMaxRepetition are clamped (callers check).
  uint64_t parse_int(size_t pos, size_t* end) {
    uint64_t v = 0;
    size_t e = pos;
    while (is_digit(at(e))) v = std::min<uint64_t>(v * 10 + static_cast<uint64_t>(at(e++) - '0'), 1u << 30);
    if (e == pos)
      *end = error(pos, "expecting an integer");
    else
      *end = e;
    return v;
  }
  uint32_t parse_hex(size_t pos, int n, size_t* end) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const char c = at(pos + static_cast<size_t>(i));
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) {
        *end = error(pos, "expecting " + std::to_string(n) + " hex digits");
        return 0;
      }
      v = (v << 4) + static_cast<uint32_t>(d);
    }
    *end = pos + static_cast<size_t>(n);
    return v;
  }
  // One character of a literal or char set: an escape or a UTF-8 sequence decoded leniently as
  // llama.cpp does (the lead byte's high nibble gives the length, continuation bits unchecked).
  uint32_t parse_char(size_t pos, size_t* end) {
    if (at(pos) == '\\') {
      switch (at(pos + 1)) {
        case 'x':
          return parse_hex(pos + 2, 2, end);
        case 'u':
          return parse_hex(pos + 2, 4, end);
        case 'U':
          return parse_hex(pos + 2, 8, end);
        case 't':
          *end = pos + 2;
          return '\t';
        case 'r':
          *end = pos + 2;
          return '\r';
        case 'n':
          *end = pos + 2;
          return '\n';
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-':
          *end = pos + 2;
          return static_cast<uint8_t>(at(pos + 1));
        default:
          *end = error(pos, "unknown escape");
          return 0;
      }
    }
    if (pos >= s_.size()) {
      *end = error(pos, "unexpected end of input");
      return 0;
    }
    static const int kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    const uint8_t first = static_cast<uint8_t>(s_[pos]);
    const int len = kLen[first >> 4];
    uint32_t v = first & ((1u << (8 - len)) - 1);
    size_t p = pos + 1;
    for (; p < pos + static_cast<size_t>(len) && p < s_.size(); ++p)
      v = (v << 6) + (static_cast<uint8_t>(s_[p]) & 0x3F);
    *end = p;
    return v;
  }

  size_t parse_rule(size_t pos) {
    const size_t ne = name_end(pos);
    if (!ok()) return ne;
    const std::string name(s_.substr(pos, ne - pos));
    const uint32_t id = symbol_id(name);
    if (!def_pos_.count(id)) def_pos_[id] = pos;
    pos = space(ne, false);
    if (s_.substr(pos, 3) != "::=") return error(pos, "expecting ::=");
    pos = parse_alternates(space(pos + 3, true), name, id, false);
    if (!ok()) return pos;
    if (at(pos) == '\r')
      pos += at(pos + 1) == '\n' ? 2 : 1;
    else if (at(pos) == '\n')
      ++pos;
    else if (pos < s_.size())
      return error(pos, "expecting newline or end");
    return space(pos, true);
  }

  size_t parse_alternates(size_t pos, const std::string& name, uint32_t id, bool nested) {
    Rule rule;
    pos = parse_sequence(pos, name, rule, nested);
    while (ok() && at(pos) == '|') {
      rule.push_back({ElemType::alt, 0});
      pos = parse_sequence(space(pos + 1, true), name, rule, nested);
    }
    rule.push_back({ElemType::end, 0});
    add_rule(id, std::move(rule));
    return pos;
  }

  // S{m,n} -> S x m, then n-m nested optional rules (S' ::= S S'' | ); S{m,} -> S x m, S' ::= S S' | .
  void repeat(size_t pos, const std::string& name, Rule& rule, size_t last_start, uint64_t& n_prev, uint64_t min_t,
              uint64_t max_t, bool no_max) {
    if (last_start == rule.size()) {
      error(pos, "expecting an item before */+/?/{");
      return;
    }
    const Rule prev(rule.begin() + static_cast<std::ptrdiff_t>(last_start), rule.end());
    const uint64_t total = !no_max && max_t > 0 ? max_t : min_t > 0 ? min_t : 1;
    if (n_prev * total >= kMaxRepetition) {
      error(pos, "repetitions multiplied by the repeated rules exceed " + std::to_string(kMaxRepetition));
      return;
    }
    if (min_t == 0) rule.resize(last_start);
    for (uint64_t i = 1; i < min_t; ++i) rule.insert(rule.end(), prev.begin(), prev.end());
    const uint64_t n_opt = no_max ? 1 : max_t - min_t;
    uint32_t last_id = 0;
    for (uint64_t i = 0; i < n_opt; ++i) {
      Rule rec(prev);
      const uint32_t rec_id = generate_id(name);
      if (i > 0 || no_max) rec.push_back({ElemType::rule_ref, no_max ? rec_id : last_id});
      rec.push_back({ElemType::alt, 0});
      rec.push_back({ElemType::end, 0});
      add_rule(rec_id, std::move(rec));
      last_id = rec_id;
    }
    if (n_opt > 0) rule.push_back({ElemType::rule_ref, last_id});
    n_prev *= total;
  }

  size_t parse_sequence(size_t pos, const std::string& name, Rule& rule, bool nested) {
    size_t last_start = rule.size();
    uint64_t n_prev = 1;
    while (ok() && pos < s_.size()) {
      const char c = s_[pos];
      if (c == '"') {
        ++pos;
        last_start = rule.size();
        n_prev = 1;
        while (ok() && at(pos) != '"') {
          if (pos >= s_.size()) return error(pos, "unexpected end of input in a string literal");
          const uint32_t cp = parse_char(pos, &pos);
          rule.push_back({ElemType::chr, cp});
        }
        pos = space(pos + 1, nested);
      } else if (c == '[') {
        ++pos;
        ElemType start = ElemType::chr;
        if (at(pos) == '^') ++pos, start = ElemType::chr_not;
        last_start = rule.size();
        n_prev = 1;
        while (ok() && at(pos) != ']') {
          if (pos >= s_.size()) return error(pos, "unexpected end of input in a char set");
          const uint32_t cp = parse_char(pos, &pos);
          rule.push_back({last_start < rule.size() ? ElemType::chr_alt : start, cp});
          if (ok() && at(pos) == '-' && at(pos + 1) != ']') {
            if (pos + 1 >= s_.size()) return error(pos + 1, "unexpected end of input in a char set");
            const uint32_t hi = parse_char(pos + 1, &pos);
            rule.push_back({ElemType::chr_upper, hi});
          }
        }
        pos = space(pos + 1, nested);
      } else if (c == '<' || c == '!') {
        return error(pos, "token references (<...>) are not supported");
      } else if (is_word(c)) {
        const size_t ne = name_end(pos);
        const uint32_t ref = symbol_id(s_.substr(pos, ne - pos));
        if (!first_ref_.count(ref)) first_ref_[ref] = pos;
        pos = space(ne, nested);
        last_start = rule.size();
        n_prev = 1;
        rule.push_back({ElemType::rule_ref, ref});
      } else if (c == '(') {
        const size_t open = pos;
        pos = space(pos + 1, true);
        const uint64_t before = ids_.size();
        const uint32_t sub = generate_id(name);
        pos = parse_alternates(pos, name, sub, true);
        if (!ok()) return pos;
        n_prev = std::max<uint64_t>(1, ids_.size() - before);
        last_start = rule.size();
        rule.push_back({ElemType::rule_ref, sub});
        if (at(pos) != ')')
          return error(pos, pos < s_.size() ? "expecting ')'" : "unclosed '(' opened at " + std::to_string(open));
        pos = space(pos + 1, nested);
      } else if (c == '.') {
        last_start = rule.size();
        n_prev = 1;
        rule.push_back({ElemType::chr_any, 0});
        pos = space(pos + 1, nested);
      } else if (c == '*' || c == '+' || c == '?') {
        const size_t op = pos;
        pos = space(pos + 1, nested);
        if (c == '*') repeat(op, name, rule, last_start, n_prev, 0, 0, true);
        if (c == '+') repeat(op, name, rule, last_start, n_prev, 1, 0, true);
        if (c == '?') repeat(op, name, rule, last_start, n_prev, 0, 1, false);
      } else if (c == '{') {
        const size_t op = pos;
        pos = space(pos + 1, nested);
        if (!is_digit(at(pos))) return error(pos, "expecting an integer");
        const uint64_t min_t = parse_int(pos, &pos);
        pos = space(pos, nested);
        uint64_t max_t = 0;
        bool no_max = true;
        if (at(pos) == '}') {
          max_t = min_t, no_max = false;
          pos = space(pos + 1, nested);
        } else if (at(pos) == ',') {
          pos = space(pos + 1, nested);
          if (is_digit(at(pos))) {
            max_t = parse_int(pos, &pos), no_max = false;
            pos = space(pos, nested);
          }
          if (at(pos) != '}') return error(pos, "expecting '}'");
          pos = space(pos + 1, nested);
        } else {
          return error(pos, "expecting ','");
        }
        if (min_t > kMaxRepetition) return error(op, "more than " + std::to_string(kMaxRepetition) + " repetitions");
        if (!no_max && max_t > kMaxRepetition) no_max = true;  // llama.cpp: a huge maximum means none
        if (!no_max && max_t < min_t) return error(op, "repetition maximum below its minimum");
        repeat(op, name, rule, last_start, n_prev, min_t, max_t, no_max);
      } else {
        break;
      }
    }
    return pos;
  }

  // llama.cpp's check: a rule that can reach itself through leftmost (possibly after nullable)
  // nonterminals cannot be run by a pushdown matcher.
  bool left_recursive(uint32_t id, std::vector<uint8_t>& state, std::vector<uint8_t>& nullable, int depth = 0) {
    if (state[id] == 1) return true;
    if (depth > kMaxDepth) {
      too_deep_ = true;
      return true;
    }
    state[id] = 1;
    const Rule& r = rules_[id];
    bool at_start = true;
    for (const Elem& e : r) {
      if (end_of_seq(e)) {
        if (at_start) {
          nullable[id] = 1;
          break;
        }
        at_start = true;
      } else {
        at_start = false;
      }
    }
    bool recurse = true;
    for (const Elem& e : r) {
      if (e.type == ElemType::rule_ref && recurse) {
        if (left_recursive(e.value, state, nullable, depth + 1)) return true;
        if (!nullable[e.value]) recurse = false;
      } else {
        recurse = end_of_seq(e);
      }
    }
    state[id] = 2;
    return false;
  }
  Status check_left_recursion() {
    std::vector<uint8_t> state(rules_.size(), 0), nullable(rules_.size(), 0);
    for (uint32_t id = 0; id < rules_.size(); ++id) {
      if (state[id] == 2) continue;
      if (left_recursive(id, state, nullable)) {
        const uint32_t at_rule = id;
        if (too_deep_)
          return fail(def_pos_.count(at_rule) ? def_pos_[at_rule] : 0,
                      "rules nest more than " + std::to_string(kMaxDepth) + " deep");
        return fail(def_pos_.count(at_rule) ? def_pos_[at_rule] : 0,
                    "left recursion in rule '" + name_of(at_rule) + "' (unsupported)");
      }
    }
    return Status::Ok();
  }

  static constexpr int kMaxDepth = 2000;  // leftmost-reference chains (recursion depth)
  bool too_deep_ = false;
  std::string_view s_;
  Status err_;
  std::map<std::string, uint32_t> ids_;
  std::vector<Rule> rules_;
  std::map<uint32_t, size_t> first_ref_, def_pos_;  // symbol id -> offset of first use / definition
};

}  // namespace

Result<Grammar> parse_gbnf(std::string_view text, std::string_view root) {
  if (text.find('\0') != std::string_view::npos) return Status(Code::invalid_argument, "grammar: NUL byte in the text");
  Parser p(text);
  CHORD_TRY(p.parse());
  return p.finish(root);
}

bool is_char_start(ElemType t) { return t == ElemType::chr || t == ElemType::chr_not || t == ElemType::chr_any; }

bool match_char(const Elem* pos, uint32_t cp, const Elem** after) {
  const bool positive = pos->type == ElemType::chr || pos->type == ElemType::chr_any;
  bool found = false;
  do {
    if (pos[1].type == ElemType::chr_upper) {
      found = found || (pos->value <= cp && cp <= pos[1].value);
      pos += 2;
    } else if (pos->type == ElemType::chr_any) {
      found = true;
      pos += 1;
    } else {
      found = found || pos->value == cp;
      pos += 1;
    }
  } while (pos->type == ElemType::chr_alt);
  if (after) *after = pos;
  return found == positive;
}

}  // namespace chord::grammar
