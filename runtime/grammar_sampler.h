// Grammar-constrained sampling state over a model's vocabulary (llama.cpp's grammar sampler):
// which tokens may come next, accepting the sampled one, EOG only where the grammar may end.
// Token pieces live in a byte trie so shared prefixes are matched once for the whole vocabulary.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"
#include "core/grammar/matcher.h"
#include "core/tokenizer/tokenizer.h"

namespace chord {

// The vocabulary as the grammar sees it: each token's piece (llama.cpp's token_to_piece with
// special = true, cut at the first NUL byte) in a trie; EOG tokens apart. Built once per model.
struct GrammarVocab {
  struct Node {
    uint8_t byte = 0;
    uint32_t end = 0;                     // preorder index just past this node's subtree
    uint32_t tok_begin = 0, tok_end = 0;  // tokens whose piece ends here: toks[tok_begin, tok_end)
  };
  std::vector<std::string> pieces;  // (n_vocab)
  std::vector<uint8_t> eog;         // (n_vocab) 1 = end-of-generation token
  std::vector<Node> nodes;          // preorder; [0] is the root (empty prefix)
  std::vector<Token> toks;          // token ids grouped by trie node

  static std::shared_ptr<const GrammarVocab> build(std::vector<std::string> pieces, std::vector<uint8_t> eog);
  static std::shared_ptr<const GrammarVocab> from_tokenizer(const Tokenizer& tok);
  int32_t size() const { return static_cast<int32_t>(pieces.size()); }
};

class GrammarSampler {
 public:
  // Parses `gbnf` (errors: invalid_argument with line:col) for the given vocabulary.
  static Result<std::unique_ptr<GrammarSampler>> create(std::string_view gbnf,
                                                        std::shared_ptr<const GrammarVocab> vocab);

  // May token t come next? Walks only t's bytes (use for a few candidates).
  bool allows(Token t);
  // allowed[t] = 1 for every token that may come next (one trie walk over the vocabulary).
  Status mask(std::vector<uint8_t>& allowed);
  // Advances past a token that allows() accepted; errors if it is not allowed.
  Status accept(Token t);
  bool can_end() const { return matcher_.can_end(state_); }  // EOG is allowed now

  // Keeps only allowed candidates, as llama.cpp's grammar-first chain sees them, checking as few
  // as it can: with need > 0 (greedy: 1, top-k: k) the result is the `need` best allowed
  // candidates in (logit desc, id asc) order, found by checking candidates best-first; with
  // need == 0 every allowed candidate (one trie walk). Errors if no candidate is allowed.
  Status keep_allowed(std::vector<std::pair<float, Token>>& cand, size_t need);
  const Status& error() const { return matcher_.error(); }

 private:
  GrammarSampler(std::shared_ptr<const grammar::Grammar> g, std::shared_ptr<const GrammarVocab> v)
      : vocab_(std::move(v)), matcher_(std::move(g)) {}
  // The state after `bytes` from the current one; `stopped` freezes it at a decoded NUL
  // (llama.cpp's code-point list ends at the first 0).
  struct Walk {
    grammar::Matcher::SetId set;
    grammar::Utf8Decoder dec;
    bool stopped = false;
  };
  void feed(Walk& w, uint8_t b);
  bool verdict(const Walk& w) const;

  std::shared_ptr<const GrammarVocab> vocab_;
  grammar::Matcher matcher_;
  grammar::Matcher::SetId state_ = grammar::Matcher::kDead;
  grammar::PartialUtf8 partial_;
  std::vector<std::pair<uint32_t, Walk>> stack_;  // scratch for mask(): (subtree end, state)
  std::vector<uint8_t> mask_;                     // scratch for keep_allowed()
};

}  // namespace chord
