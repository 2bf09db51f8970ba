// Stack-set matcher: llama.cpp's advance/accept rules over interned stacks (persistent linked
// lists) and interned stack sets, with per-set transition tables.
#include "core/grammar/matcher.h"

#include <algorithm>
#include <unordered_set>

namespace chord::grammar {
namespace {

constexpr uint32_t kUnknown = 0xFFFFFFFFu;
constexpr size_t kMaxStacksPerSet = 4096;   // more live parses than this: grammar too ambiguous
constexpr size_t kMaxAdvanceWork = 200000;  // stacks expanded by one advance()
constexpr size_t kMaxInterned = 4u << 20;   // nodes + sets before step() gives up

bool end_of_seq(const Elem& e) { return e.type == ElemType::end || e.type == ElemType::alt; }

// llama_grammar_match_partial_char: could some completion of `p` satisfy the set at `pos`?
bool match_partial(const Elem* pos, PartialUtf8 p) {
  const bool positive = pos->type == ElemType::chr || pos->type == ElemType::chr_any;
  if (p.n_remain < 0 || (p.n_remain == 1 && p.value < 2)) return false;  // invalid or overlong
  uint32_t low = p.value << (p.n_remain * 6);
  const uint32_t high = low | ((1u << (p.n_remain * 6)) - 1);
  if (low == 0) {
    if (p.n_remain == 2)
      low = 1u << 11;
    else if (p.n_remain == 3)
      low = 1u << 16;
  }
  do {
    if (pos[1].type == ElemType::chr_upper) {
      if (pos->value <= high && low <= pos[1].value) return positive;
      pos += 2;
    } else if (pos->type == ElemType::chr_any) {
      return true;
    } else {
      if (low <= pos->value && pos->value <= high) return positive;
      pos += 1;
    }
  } while (pos->type == ElemType::chr_alt);
  return !positive;
}

uint64_t hash_stacks(const std::vector<uint32_t>& v) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ v.size();
  for (uint32_t x : v) h = (h ^ x) * 0x100000001B3ull + (h >> 29);
  return h;
}

}  // namespace

Utf8Decoder::Utf8Decoder(PartialUtf8 p) {
  if (p.n_remain > 0) {
    value = p.value;
    n_remain = p.n_remain;
    carry = true;
  }
}

uint32_t Utf8Decoder::feed(uint8_t b) {
  if (invalid) return kNone;
  if (carry) {
    if ((b >> 6) != 2) {
      invalid = true;
      return kNone;
    }
    value = (value << 6) + (b & 0x3F);
    if (--n_remain == 0) {
      carry = false;
      return value;
    }
    return kNone;
  }
  if (n_remain > 0) {  // inside a sequence this token started: continuation bits unchecked
    value = (value << 6) + (b & 0x3F);
    return --n_remain == 0 ? value : kNone;
  }
  static const int kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
  const int n = kLen[b >> 4] - 1;
  if (n < 0) {
    invalid = true;
    return kNone;
  }
  value = b & ((1u << (7 - n)) - 1);
  n_remain = n;
  return n == 0 ? value : kNone;
}

Matcher::Matcher(std::shared_ptr<const Grammar> g) : g_(std::move(g)) {
  nodes_.push_back({kUnknown, 0});
  advance_memo_.push_back(kUnknown);
  sets_.emplace_back();
  ascii_.emplace_back();
}

bool Matcher::fail(const char* what) {
  if (error_.ok()) error_ = Status(Code::invalid_argument, std::string("grammar: ") + what);
  return false;
}

uint32_t Matcher::push(uint32_t parent, uint32_t pos) {
  const uint64_t key = (static_cast<uint64_t>(pos) << 32) | parent;
  auto [it, fresh] = node_ids_.emplace(key, static_cast<uint32_t>(nodes_.size()));
  if (fresh) {
    nodes_.push_back({pos, parent});
    advance_memo_.push_back(kUnknown);
  }
  return it->second;
}

Matcher::SetId Matcher::intern(std::vector<uint32_t>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  if (stacks.empty()) return kDead;
  if (stacks.size() > kMaxStacksPerSet) return fail("too ambiguous (too many parallel parses)"), kDead;
  auto& bucket = set_ids_[hash_stacks(stacks)];
  for (SetId id : bucket)
    if (sets_[id] == stacks) return id;
  const SetId id = static_cast<SetId>(sets_.size());
  sets_.push_back(stacks);
  ascii_.emplace_back();
  bucket.push_back(id);
  return id;
}

// llama_grammar_advance_stack: replace a rule reference on top by each of its alternatives
// (followed by what came after the reference) until every stack's top is a char set or empty.
Matcher::SetId Matcher::advance(uint32_t stack) {
  if (advance_memo_[stack] != kUnknown) return advance_memo_[stack];
  const std::vector<Elem>& el = g_->elems;
  std::vector<uint32_t> out, todo{stack};
  std::unordered_set<uint32_t> seen;
  size_t work = 0;
  while (!todo.empty()) {
    const uint32_t s = todo.back();
    todo.pop_back();
    if (!seen.insert(s).second) continue;
    if (++work > kMaxAdvanceWork) return fail("too ambiguous (rule expansion limit)"), kDead;
    if (s == 0) {
      out.push_back(0);
      continue;
    }
    const uint32_t pos = nodes_[s].pos, parent = nodes_[s].parent;
    if (el[pos].type != ElemType::rule_ref) {
      out.push_back(s);
      continue;
    }
    uint32_t sub = g_->rule_start[el[pos].value];
    for (;;) {
      uint32_t ns = parent;
      if (!end_of_seq(el[pos + 1])) ns = push(ns, pos + 1);
      if (!end_of_seq(el[sub])) ns = push(ns, sub);
      todo.push_back(ns);
      while (!end_of_seq(el[sub])) ++sub;
      if (el[sub].type != ElemType::alt) break;
      ++sub;
    }
  }
  const SetId id = intern(out);
  advance_memo_[stack] = id;
  return id;
}

Matcher::SetId Matcher::initial() {
  std::vector<uint32_t> all;
  const std::vector<Elem>& el = g_->elems;
  uint32_t pos = g_->rule_start[g_->root];
  for (;;) {
    const uint32_t s = end_of_seq(el[pos]) ? 0 : push(0, pos);
    const SetId a = advance(s);
    all.insert(all.end(), sets_[a].begin(), sets_[a].end());
    while (!end_of_seq(el[pos])) ++pos;
    if (el[pos].type != ElemType::alt) break;
    ++pos;
  }
  return intern(all);
}

Matcher::SetId Matcher::step(SetId set, uint32_t cp) {
  if (set == kDead) return kDead;
  SetId* slot = nullptr;
  if (cp < 128) {
    if (!ascii_[set]) {
      ascii_[set] = std::make_unique<std::array<SetId, 128>>();
      ascii_[set]->fill(kUnknown);
    }
    slot = &(*ascii_[set])[cp];
    if (*slot != kUnknown) return *slot;
  } else {
    auto it = trans_.find((static_cast<uint64_t>(set) << 32) | cp);
    if (it != trans_.end()) return it->second;
  }
  if (interned() > kMaxInterned) return fail("state too large (interning limit)"), kDead;
  const std::vector<Elem>& el = g_->elems;
  std::vector<uint32_t> out;
  const std::vector<uint32_t> stacks = sets_[set];  // copy: interning may grow sets_
  for (uint32_t s : stacks) {
    if (s == 0) continue;
    const Elem* after = nullptr;
    const uint32_t pos = nodes_[s].pos;
    if (!match_char(&el[pos], cp, &after)) continue;
    uint32_t ns = nodes_[s].parent;
    const uint32_t next = static_cast<uint32_t>(after - el.data());
    if (!end_of_seq(el[next])) ns = push(ns, next);
    const SetId a = advance(ns);
    out.insert(out.end(), sets_[a].begin(), sets_[a].end());
  }
  const SetId id = intern(out);
  if (cp < 128)
    (*ascii_[set])[cp] = id;  // ascii_ may have grown: index again
  else
    trans_[(static_cast<uint64_t>(set) << 32) | cp] = id;
  (void)slot;
  return id;
}

bool Matcher::can_end(SetId s) const { return s != kDead && sets_[s].front() == 0; }

bool Matcher::partial_ok(SetId s, PartialUtf8 p) const {
  if (s == kDead) return false;
  for (uint32_t st : sets_[s])
    if (st != 0 && match_partial(&g_->elems[nodes_[st].pos], p)) return true;
  return false;
}

Matcher::SetId Matcher::compact(SetId keep) {
  std::vector<std::vector<uint32_t>> stacks;  // each kept stack as positions, bottom first
  for (uint32_t s : sets_[keep]) {
    std::vector<uint32_t> v;
    for (uint32_t n = s; n != 0; n = nodes_[n].parent) v.push_back(nodes_[n].pos);
    std::reverse(v.begin(), v.end());
    stacks.push_back(std::move(v));
  }
  nodes_.resize(1);
  advance_memo_.assign(1, kUnknown);
  node_ids_.clear();
  sets_.resize(1);
  ascii_.resize(1);
  set_ids_.clear();
  trans_.clear();
  std::vector<uint32_t> ids;
  for (const auto& v : stacks) {
    uint32_t s = 0;
    for (uint32_t pos : v) s = push(s, pos);
    ids.push_back(s);
  }
  return intern(ids);
}

}  // namespace chord::grammar
