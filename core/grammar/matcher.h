// Pushdown matcher for a parsed GBNF grammar, as llama.cpp runs it: the state is a set of stacks
// of grammar positions, advanced one code point at a time. Stacks and stack sets are interned and
// transitions cached, so walking many tokens' bytes from the same state costs a lookup per char.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/common/status.h"
#include "core/grammar/gbnf.h"

namespace chord::grammar {

// An incomplete UTF-8 sequence carried from one token to the next (llama_partial_utf8):
// n_remain continuation bytes still expected, value = the bits so far; n_remain < 0: invalid.
struct PartialUtf8 {
  uint32_t value = 0;
  int32_t n_remain = 0;
};

// Decodes token bytes exactly as llama.cpp's decode_utf8 does, from a PartialUtf8: continuation
// bytes that finish the carried sequence are validated, later ones are not; a stray continuation
// byte as a lead byte makes the whole token invalid.
struct Utf8Decoder {
  uint32_t value = 0;
  int32_t n_remain = 0;
  bool carry = false;  // still completing the sequence carried in from the previous token
  bool invalid = false;
  explicit Utf8Decoder(PartialUtf8 p = {});
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  uint32_t feed(uint8_t b);  // the code point completed by this byte, or kNone
  PartialUtf8 partial() const { return invalid ? PartialUtf8{0, -1} : PartialUtf8{value, n_remain}; }
};

class Matcher {
 public:
  using SetId = uint32_t;            // an interned set of stacks
  static constexpr SetId kDead = 0;  // the empty set: nothing can follow

  explicit Matcher(std::shared_ptr<const Grammar> g);
  SetId initial();
  SetId step(SetId s, uint32_t cp);               // after one code point (kDead if none matches)
  bool can_end(SetId s) const;                    // some stack is empty: the grammar may stop here
  bool partial_ok(SetId s, PartialUtf8 p) const;  // some stack's next char can complete p
  // Verdict for a token whose bytes took the state to `s` (llama.cpp's reject rules).
  bool token_ok(SetId s, PartialUtf8 p) const {
    return s != kDead && p.n_remain >= 0 && (p.n_remain == 0 || partial_ok(s, p));
  }

  // Limits keep hostile grammars bounded: past them step() returns kDead and error() is set.
  const Status& error() const { return error_; }
  size_t interned() const { return nodes_.size() + sets_.size(); }
  // Drops every cache and interned value except the given set (returned renumbered).
  SetId compact(SetId keep);
  const Grammar& grammar() const { return *g_; }

 private:
  struct Node {
    uint32_t pos, parent;
  };  // a stack: top position + the stack below (0 = empty)
  uint32_t push(uint32_t parent, uint32_t pos);
  SetId advance(uint32_t stack);                // expand rule refs until every top is a char set
  SetId intern(std::vector<uint32_t>& stacks);  // sorts, dedupes, interns
  bool fail(const char* what);

  std::shared_ptr<const Grammar> g_;
  Status error_;
  std::vector<Node> nodes_;  // stack id -> node; [0] = empty stack
  std::unordered_map<uint64_t, uint32_t> node_ids_;
  std::vector<std::vector<uint32_t>> sets_;                     // set id -> sorted stack ids; [0] = {}
  std::unordered_map<uint64_t, std::vector<SetId>> set_ids_;    // hash -> candidates
  std::vector<SetId> advance_memo_;                             // stack id -> set id (kUnknown if not yet)
  std::vector<std::unique_ptr<std::array<SetId, 128>>> ascii_;  // set id -> ASCII transitions
  std::unordered_map<uint64_t, SetId> trans_;                   // (set id, code point >= 128) -> set id
};

}  // namespace chord::grammar
