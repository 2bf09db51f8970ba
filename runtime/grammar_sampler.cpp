// Grammar sampler: token verdicts follow llama_grammar_apply_impl / reject_candidates (pieces with
// special = true, empty pieces rejected, EOG only when a stack is empty, partial UTF-8 carried
// between tokens), computed by a depth-first walk of the vocabulary trie.
#include "runtime/grammar_sampler.h"

#include <algorithm>
#include <cstddef>

namespace chord {

using grammar::Matcher;

std::shared_ptr<const GrammarVocab> GrammarVocab::build(std::vector<std::string> pieces, std::vector<uint8_t> eog) {
  auto v = std::make_shared<GrammarVocab>();
  eog.resize(pieces.size(), 0);
  for (auto& p : pieces) p.resize(std::min(p.size(), p.find('\0')));
  v->pieces = std::move(pieces);
  v->eog = std::move(eog);
  std::vector<Token> order;
  for (Token t = 0; t < v->size(); ++t)
    if (!v->eog[static_cast<size_t>(t)] && !v->pieces[static_cast<size_t>(t)].empty()) order.push_back(t);
  std::stable_sort(order.begin(), order.end(), [&](Token a, Token b) {
    return v->pieces[static_cast<size_t>(a)] < v->pieces[static_cast<size_t>(b)];
  });
  // Sorted pieces build the preorder trie directly: keep the path of open nodes, close those
  // deeper than the common prefix with the previous piece, open one node per new byte.
  v->nodes.push_back({});
  std::vector<uint32_t> path{0};  // path[d] = node for the first d bytes
  const std::string* prev = nullptr;
  for (Token t : order) {
    const std::string& p = v->pieces[static_cast<size_t>(t)];
    size_t lcp = 0;
    if (prev)
      while (lcp < p.size() && lcp < prev->size() && p[lcp] == (*prev)[lcp]) ++lcp;
    while (path.size() > lcp + 1) {
      v->nodes[path.back()].end = static_cast<uint32_t>(v->nodes.size());
      path.pop_back();
    }
    for (size_t d = lcp; d < p.size(); ++d) {
      path.push_back(static_cast<uint32_t>(v->nodes.size()));
      v->nodes.push_back({static_cast<uint8_t>(p[d]), 0, 0, 0});
    }
    GrammarVocab::Node& n = v->nodes[path.back()];
    if (n.tok_end == 0) n.tok_begin = n.tok_end = static_cast<uint32_t>(v->toks.size());
    v->toks.push_back(t);
    ++n.tok_end;
    prev = &p;
  }
  for (uint32_t n : path) v->nodes[n].end = static_cast<uint32_t>(v->nodes.size());
  return v;
}

std::shared_ptr<const GrammarVocab> GrammarVocab::from_tokenizer(const Tokenizer& tok) {
  std::vector<std::string> pieces(static_cast<size_t>(tok.vocab_size()));
  std::vector<uint8_t> eog(pieces.size());
  for (Token t = 0; t < tok.vocab_size(); ++t) {
    pieces[static_cast<size_t>(t)] = tok.token_to_piece(t, true);
    eog[static_cast<size_t>(t)] = tok.is_eog(t) ? 1 : 0;
  }
  return build(std::move(pieces), std::move(eog));
}

Result<std::unique_ptr<GrammarSampler>> GrammarSampler::create(std::string_view gbnf,
                                                               std::shared_ptr<const GrammarVocab> vocab) {
  CHORD_ASSIGN_OR_RETURN(grammar::Grammar g, grammar::parse_gbnf(gbnf));
  auto s = std::unique_ptr<GrammarSampler>(
      new GrammarSampler(std::make_shared<const grammar::Grammar>(std::move(g)), std::move(vocab)));
  s->state_ = s->matcher_.initial();
  CHORD_TRY(s->matcher_.error());
  if (s->state_ == Matcher::kDead) return Status(Code::invalid_argument, "grammar: the start rule matches nothing");
  return s;
}

void GrammarSampler::feed(Walk& w, uint8_t b) {
  const uint32_t cp = w.dec.feed(b);
  if (cp == grammar::Utf8Decoder::kNone || w.stopped) return;
  if (cp == 0)
    w.stopped = true;
  else
    w.set = matcher_.step(w.set, cp);
}

bool GrammarSampler::verdict(const Walk& w) const {
  return !w.dec.invalid && matcher_.token_ok(w.set, w.dec.partial());
}

bool GrammarSampler::allows(Token t) {
  if (t < 0 || t >= vocab_->size()) return false;
  if (vocab_->eog[static_cast<size_t>(t)]) return can_end();
  const std::string& p = vocab_->pieces[static_cast<size_t>(t)];
  if (p.empty()) return false;
  Walk w{state_, grammar::Utf8Decoder(partial_)};
  for (char c : p) {
    feed(w, static_cast<uint8_t>(c));
    if (w.dec.invalid || w.set == Matcher::kDead) return false;
  }
  return verdict(w);
}

Status GrammarSampler::mask(std::vector<uint8_t>& allowed) {
  const GrammarVocab& v = *vocab_;
  allowed.assign(v.pieces.size(), 0);
  const bool end = can_end();
  for (size_t t = 0; t < v.eog.size(); ++t)
    if (v.eog[t]) allowed[t] = end;
  stack_.clear();
  stack_.push_back({v.nodes.empty() ? 0u : v.nodes[0].end, Walk{state_, grammar::Utf8Decoder(partial_)}});
  for (uint32_t i = 1; i < v.nodes.size();) {
    while (stack_.back().first <= i) stack_.pop_back();
    Walk w = stack_.back().second;
    const GrammarVocab::Node& n = v.nodes[i];
    feed(w, n.byte);
    if (w.dec.invalid || w.set == Matcher::kDead) {  // no token below can be allowed
      i = n.end;
      continue;
    }
    if (n.tok_end > n.tok_begin && verdict(w))
      for (uint32_t k = n.tok_begin; k < n.tok_end; ++k) allowed[static_cast<size_t>(v.toks[k])] = 1;
    stack_.push_back({n.end, w});
    ++i;
  }
  return matcher_.error();
}

Status GrammarSampler::keep_allowed(std::vector<std::pair<float, Token>>& cand, size_t need) {
  auto better = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  // Best-first in growing chunks; past kLazyLimit checks one trie walk is cheaper.
  constexpr size_t kLazyLimit = 1024;
  if (need > 0) {
    size_t kept = 0, sorted = 0;
    while (kept < need && sorted < cand.size() && sorted < kLazyLimit) {
      const size_t chunk = std::min(cand.size(), sorted + std::max<size_t>({2 * need, 32, sorted}));  // doubling
      std::partial_sort(cand.begin() + static_cast<ptrdiff_t>(sorted), cand.begin() + static_cast<ptrdiff_t>(chunk),
                        cand.end(), better);
      for (; sorted < chunk && kept < need; ++sorted)
        if (allows(cand[sorted].second)) std::swap(cand[kept++], cand[sorted]);
      CHORD_TRY(matcher_.error());
    }
    if (kept == need || sorted == cand.size()) {
      if (kept == 0) return Status(Code::invalid_argument, "grammar: no candidate token is allowed here");
      cand.resize(kept);
      return Status::Ok();
    }
  }
  CHORD_TRY(mask(mask_));
  size_t kept = 0;
  for (size_t i = 0; i < cand.size(); ++i) {
    const Token t = cand[i].second;
    if (t >= 0 && static_cast<size_t>(t) < mask_.size() && mask_[static_cast<size_t>(t)]) cand[kept++] = cand[i];
  }
  if (kept == 0) return Status(Code::invalid_argument, "grammar: no candidate token is allowed here");
  cand.resize(kept);
  if (need > 0 && kept > need) {
    std::partial_sort(cand.begin(), cand.begin() + static_cast<ptrdiff_t>(need), cand.end(), better);
    cand.resize(need);
  }
  return Status::Ok();
}

Status GrammarSampler::accept(Token t) {
  if (!allows(t)) {
    CHORD_TRY(matcher_.error());
    return Status(Code::invalid_argument, "grammar: token " + std::to_string(t) + " is not allowed here");
  }
  if (vocab_->eog[static_cast<size_t>(t)]) return Status::Ok();  // generation ends; state stays
  Walk w{state_, grammar::Utf8Decoder(partial_)};
  for (char c : vocab_->pieces[static_cast<size_t>(t)]) feed(w, static_cast<uint8_t>(c));
  state_ = w.set;
  partial_ = w.dec.partial();
  if (matcher_.interned() > (1u << 20)) state_ = matcher_.compact(state_);  // bound memory over long runs
  return matcher_.error();
}

}  // namespace chord
