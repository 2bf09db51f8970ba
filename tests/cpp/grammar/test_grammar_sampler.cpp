// Grammar sampler over vocabularies: the trie mask equals per-token checks and an independent
// per-token reference (llama.cpp's decode_utf8 + reject rules), partial UTF-8 across tokens,
// EOG only where the grammar may end; the 32k Llama-2 vocabulary under the JSON grammar.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "core/gguf/gguf.h"
#include "core/grammar/matcher.h"
#include "runtime/grammar_sampler.h"
#include "tests/cpp/grammar/grammars.h"
#include "tests/cpp/test_util.h"

using namespace chord;
using grammar::Matcher;

namespace {

// llama.cpp's decode_utf8 written out plainly: code points, then the partial state (n_remain -1
// for invalid input, in which case the code points are dropped).
std::pair<std::vector<uint32_t>, grammar::PartialUtf8> decode_ref(const std::string& s, grammar::PartialUtf8 start) {
  static const int kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
  std::vector<uint32_t> cps;
  size_t i = 0;
  uint32_t value = start.value;
  int n_remain = start.n_remain;
  while (i < s.size() && n_remain > 0) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if ((b >> 6) != 2) return {{}, {0, -1}};
    value = (value << 6) + (b & 0x3F);
    ++i, --n_remain;
  }
  if (start.n_remain > 0 && n_remain == 0) cps.push_back(value);
  while (i < s.size()) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    n_remain = kLen[b >> 4] - 1;
    if (n_remain < 0) return {{}, {0, -1}};
    value = b & ((1u << (7 - n_remain)) - 1);
    ++i;
    while (i < s.size() && n_remain > 0) value = (value << 6) + (static_cast<uint8_t>(s[i++]) & 0x3F), --n_remain;
    if (n_remain == 0) cps.push_back(value);
  }
  return {cps, {value, n_remain}};
}

// The reference: its own matcher, fed token by token like llama_grammar_accept_token.
struct Reference {
  Matcher m;
  Matcher::SetId s;
  grammar::PartialUtf8 p;
  const GrammarVocab& v;
  Reference(const std::string& gbnf, const GrammarVocab& vocab)
      : m(std::make_shared<const grammar::Grammar>(grammar::parse_gbnf(gbnf).value())), s(m.initial()), v(vocab) {}
  Matcher::SetId after(const std::vector<uint32_t>& cps) {
    Matcher::SetId x = s;
    for (uint32_t c : cps) x = m.step(x, c);
    return x;
  }
  bool allowed(Token t) {
    if (v.eog[static_cast<size_t>(t)]) return m.can_end(s);
    const std::string& piece = v.pieces[static_cast<size_t>(t)];
    if (piece.empty()) return false;
    auto [cps, part] = decode_ref(piece, p);
    if (part.n_remain < 0) return false;
    return m.token_ok(after(cps), part);
  }
  void accept(Token t) {
    auto [cps, part] = decode_ref(v.pieces[static_cast<size_t>(t)], p);
    s = after(cps);
    p = part;
  }
};

std::shared_ptr<const GrammarVocab> tiny_vocab() {
  std::vector<std::string> pieces = {"{",
                                     "}",
                                     "\"",
                                     "a",
                                     "ab",
                                     "\xE2",
                                     "\x82\xAC",
                                     "\xE2\x82",
                                     "\xAC",
                                     "",
                                     "</s>",
                                     "\x80",
                                     " ",
                                     "1",
                                     "12",
                                     "\"a\"",
                                     "\xC3",
                                     "\xC3\xA9",
                                     "\"}",
                                     "b\"",
                                     std::string("x\0y", 3),
                                     "\xE2\x82\xAC\"",
                                     "zz",
                                     "\xA9"};
  std::vector<uint8_t> eog(pieces.size(), 0);
  eog[10] = 1;
  return GrammarVocab::build(pieces, eog);
}

std::shared_ptr<const GrammarVocab> llama2_vocab() {
  static std::shared_ptr<const GrammarVocab> v;
  if (v) return v;
  std::ifstream f(test::model_path("gguf/llama-2-tiny-random.gguf"), std::ios::binary);
  REQUIRE(f.good());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto file = gguf::File::parse(std::span<const uint8_t>(bytes.data(), bytes.size()));
  REQUIRE(file.ok());
  auto tok = Tokenizer::from_gguf(*file);
  REQUIRE(tok.ok());
  v = GrammarVocab::from_tokenizer(**tok);
  return v;
}

// Checks mask == allows == reference for every token, then accepts `pick(allowed)`.
template <class Pick>
std::string run(const std::string& gbnf, std::shared_ptr<const GrammarVocab> v, int steps, Pick pick) {
  auto gs = GrammarSampler::create(gbnf, v);
  REQUIRE(gs.ok());
  Reference ref(gbnf, *v);
  std::vector<uint8_t> mask;
  std::string text;
  for (int i = 0; i < steps; ++i) {
    REQUIRE((*gs)->mask(mask).ok());
    std::vector<Token> allowed;
    for (Token t = 0; t < v->size(); ++t) {
      const bool r = ref.allowed(t);
      INFO("step " << i << " token " << t << " piece '" << v->pieces[static_cast<size_t>(t)] << "'");
      REQUIRE(static_cast<bool>(mask[static_cast<size_t>(t)]) == r);
      REQUIRE((*gs)->allows(t) == r);
      if (r) allowed.push_back(t);
    }
    if (allowed.empty()) break;  // e.g. a lead byte no token of this vocabulary completes
    const Token t = pick(allowed, i);
    if (v->eog[static_cast<size_t>(t)]) break;
    REQUIRE((*gs)->accept(t).ok());
    ref.accept(t);
    text += v->pieces[static_cast<size_t>(t)];
  }
  return text;
}

}  // namespace

TEST_CASE("grammar sampler: tiny vocabulary, partial UTF-8 and EOG", "[grammar]") {
  auto v = tiny_vocab();
  const char* g = "root ::= \"{\" \"\\\"\" [a-z\xE2\x82\xAC\xC3\xA9]* \"\\\"\" \"}\"";
  auto gs = GrammarSampler::create(g, v);
  REQUIRE(gs.ok());
  GrammarSampler& s = **gs;
  auto id = [&](const std::string& p) {
    for (Token t = 0; t < v->size(); ++t)
      if (v->pieces[static_cast<size_t>(t)] == p) return t;
    FAIL("no piece " << p);
    return -1;
  };
  CHECK(s.allows(id("{")));
  CHECK_FALSE(s.allows(id("}")));
  CHECK_FALSE(s.allows(10));  // EOG: the grammar cannot end yet
  CHECK_FALSE(s.allows(9));   // empty piece
  REQUIRE(s.accept(id("{")).ok());
  CHECK(s.allows(id("\"a\"")));
  REQUIRE(s.accept(id("\"")).ok());
  CHECK(s.allows(id("\xE2")));  // may become the euro sign
  CHECK(s.allows(id("\xE2\x82")));
  CHECK(s.allows(id("\xC3")));        // may become e-acute
  CHECK_FALSE(s.allows(id("\x80")));  // stray continuation byte
  CHECK_FALSE(s.allows(id("1")));
  CHECK(s.allows(id("x")));  // "x\0y" is cut at the NUL, as llama.cpp's C strings are
  REQUIRE(s.accept(id("\xE2")).ok());
  CHECK(s.allows(id("\x82\xAC")));
  CHECK(s.allows(id("\x82\xAC")));
  CHECK_FALSE(s.allows(id("a")));     // the carried sequence must be completed first
  CHECK_FALSE(s.allows(id("\xAC")));  // wrong continuation value for the euro sign
  REQUIRE(s.accept(id("\x82\xAC")).ok());
  CHECK_FALSE(s.accept(id("1")).ok());
  REQUIRE(s.accept(id("b\"")).ok());
  CHECK_FALSE(s.can_end());
  REQUIRE(s.accept(id("}")).ok());
  CHECK(s.can_end());
  CHECK(s.allows(10));
  CHECK_FALSE(s.allows(id("}")));

  // The trie mask equals the per-token reference along several paths.
  for (uint32_t seed = 1; seed <= 20; ++seed)
    run(g, v, 12, [&](const std::vector<Token>& a, int i) {
      return a[(seed * 7919u + static_cast<uint32_t>(i) * 104729u) % a.size()];
    });
}

TEST_CASE("grammar sampler: 32k Llama-2 vocabulary, JSON/list/arithmetic grammars", "[grammar]") {
  auto v = llama2_vocab();
  REQUIRE(v->size() == 32000);
  for (const std::string& g : {test::kJsonGbnf, test::kListGbnf, test::kArithmeticGbnf}) {
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      const std::string text = run(g, v, 3, [&](const std::vector<Token>& a, int i) {
        return a[(seed * 2654435761u + static_cast<uint32_t>(i) * 40503u) % a.size()];
      });
      CHECK_FALSE(text.empty());
    }
  }
}

// keep_allowed(need) equals "mask, sort by (logit desc, id asc), keep need" on random logits.
TEST_CASE("grammar sampler: keep_allowed matches filtering everything first", "[grammar]") {
  auto v = llama2_vocab();
  auto gs = GrammarSampler::create(test::kArithmeticGbnf, v);
  REQUIRE(gs.ok());
  GrammarSampler& s = **gs;
  std::vector<uint8_t> mask;
  uint64_t rng = 12345;
  auto next = [&] {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(rng >> 33);
  };
  auto better = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  for (int round = 0; round < 6; ++round) {
    std::vector<std::pair<float, Token>> cand(static_cast<size_t>(v->size()));
    for (Token t = 0; t < v->size(); ++t)
      cand[static_cast<size_t>(t)] = {static_cast<float>(next() % 2000) / 100.0f, t};
    REQUIRE(s.mask(mask).ok());
    std::vector<std::pair<float, Token>> want;
    for (const auto& c : cand)
      if (mask[static_cast<size_t>(c.second)]) want.push_back(c);
    std::sort(want.begin(), want.end(), better);
    for (size_t need : {size_t{1}, size_t{5}, size_t{40}, size_t{0}}) {
      auto got = cand;
      REQUIRE(s.keep_allowed(got, need).ok());
      auto w = want;
      if (need > 0 && w.size() > need) w.resize(need);
      if (need == 0) std::sort(got.begin(), got.end(), better);
      CHECK(got == w);
    }
    // Advance along the greedy choice.
    auto top = cand;
    REQUIRE(s.keep_allowed(top, 1).ok());
    REQUIRE(s.accept(top[0].second).ok());
  }
  // No allowed candidate: an error, not an arbitrary token.
  std::vector<std::pair<float, Token>> none = {{1.0f, 1}, {0.5f, 2}};  // <s>, </s>: never allowed mid-expression
  CHECK(s.keep_allowed(none, 1).code() == Code::invalid_argument);
}

TEST_CASE("grammar sampler: invalid grammars and tokens", "[grammar]") {
  auto v = tiny_vocab();
  auto bad = GrammarSampler::create("root ::= foo", v);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::invalid_argument);
  auto gs = GrammarSampler::create("root ::= \"a\"", v);
  REQUIRE(gs.ok());
  CHECK_FALSE((*gs)->allows(-1));
  CHECK_FALSE((*gs)->allows(1000));
  CHECK((*gs)->accept(1000).code() == Code::invalid_argument);
}

// Timing of one full mask and of a greedy-style lazy check over the 32k vocabulary (bench:
// `test_grammar "[.bench]"` in a release build).
TEST_CASE("grammar sampler: mask timing on 32k vocabulary", "[.bench]") {
  auto v = llama2_vocab();
  auto gs = GrammarSampler::create(test::kJsonGbnf, v);
  REQUIRE(gs.ok());
  GrammarSampler& s = **gs;
  std::vector<uint8_t> mask;
  // Into a string value, where nearly every token is allowed (the costliest state).
  for (const char* p : {"{", "\"", "name", "\":", " \"", "hello"}) {
    Token t = -1;
    for (Token k = 0; k < v->size(); ++k)
      if (v->pieces[static_cast<size_t>(k)] == p) t = k;
    REQUIRE(t >= 0);
    REQUIRE(s.accept(t).ok());
  }
  using clk = std::chrono::steady_clock;
  REQUIRE(s.mask(mask).ok());  // warm the transition caches
  const int reps = 50;
  auto t0 = clk::now();
  for (int i = 0; i < reps; ++i) REQUIRE(s.mask(mask).ok());
  const double mask_ms = std::chrono::duration<double, std::milli>(clk::now() - t0).count() / reps;
  size_t n_allowed = 0;
  for (uint8_t a : mask) n_allowed += a;
  t0 = clk::now();
  size_t hits = 0;
  for (int i = 0; i < reps; ++i)
    for (Token t = 0; t < 64; ++t) hits += s.allows(t * 500);
  const double lazy_us = std::chrono::duration<double, std::micro>(clk::now() - t0).count() / reps / 64;
  // Greedy selection (keep_allowed(1)) on random logits, the path a greedy/top-k step takes.
  std::vector<std::pair<float, Token>> cand(static_cast<size_t>(v->size()));
  uint64_t rng = 7;
  double keep_us = 0;
  for (int i = 0; i < reps; ++i) {
    for (Token t = 0; t < v->size(); ++t) {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      cand[static_cast<size_t>(t)] = {static_cast<float>(rng >> 40) / 1e5f, t};
    }
    t0 = clk::now();
    REQUIRE(s.keep_allowed(cand, 40).ok());
    keep_us += std::chrono::duration<double, std::micro>(clk::now() - t0).count();
    cand.resize(static_cast<size_t>(v->size()));
  }
  std::printf(
      "grammar bench (32000 tokens, JSON string state): full mask %.3f ms (%zu allowed), one token check %.3f us "
      "(%zu), top-40 allowed of random logits %.1f us\n",
      mask_ms, n_allowed, lazy_us, hits, keep_us / reps);
}
