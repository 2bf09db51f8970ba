// Embeddings: the hidden-state output of the forward pass (the rows the output projection turns
// into logits), pooling (mean, cls, last), L2 normalization, independence from what the context
// held before, and errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/matmul.h"
#include "runtime/context.h"
#include "runtime/embed.h"
#include "tests/cpp/test_models.h"

using namespace chord;

namespace {

using test::stories;

std::unique_ptr<Context> context(int32_t n_ctx = 128, int32_t n_batch = 64) {
  auto c = Context::create(stories(), {n_ctx, n_batch, 1});
  REQUIRE(c.ok());
  return std::move(c).value();
}

std::vector<Token> tokens(const std::string& text) { return stories()->tokenizer()->encode(text, true, false); }

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
  return m;
}

}  // namespace

TEST_CASE("hidden states are the rows the output projection turns into logits") {
  auto toks = tokens("Once upon a time, there was a little dog");
  auto a = context(), b = context();
  std::vector<float> logits, hidden;
  REQUIRE(a->eval(toks, true, logits).ok());
  REQUIRE(b->eval_hidden(toks, hidden).ok());
  CHECK(b->n_past() == static_cast<int32_t>(toks.size()));
  const ModelDesc& d = stories()->desc();
  const Weight& out = stories()->weights().output;
  REQUIRE(hidden.size() == toks.size() * static_cast<size_t>(d.n_embd));
  std::vector<float> row(static_cast<size_t>(d.n_embd));
  double max_err = 0;
  for (size_t t = 0; t < toks.size(); ++t)
    for (int32_t v = 0; v < d.n_vocab; v += 7) {
      kernels::get_row(out, v, row.data());
      double dot = 0;
      for (int32_t i = 0; i < d.n_embd; ++i) dot += static_cast<double>(row[i]) * hidden[t * d.n_embd + i];
      max_err = std::max(max_err, std::abs(dot - logits[t * d.n_vocab + v]));
    }
  CHECK(max_err < 1e-3);
}

TEST_CASE("pooling: mean, cls and last rows of the hidden states; normalize gives unit length") {
  auto toks = tokens("The cat sat on the mat and looked at the bird");
  auto ctx = context();
  std::vector<float> hidden;
  REQUIRE(ctx->eval_hidden(toks, hidden).ok());
  const size_t E = static_cast<size_t>(stories()->desc().n_embd), n = toks.size();
  std::vector<float> mean(E, 0.0f), first(hidden.begin(), hidden.begin() + E), last(hidden.end() - E, hidden.end());
  for (size_t t = 0; t < n; ++t)
    for (size_t i = 0; i < E; ++i) mean[i] += hidden[t * E + i] / static_cast<float>(n);
  for (auto [p, want] : {std::pair{Pooling::mean, &mean}, {Pooling::cls, &first}, {Pooling::last, &last}}) {
    auto raw = embed(*ctx, toks, {p, false});
    REQUIRE(raw.ok());
    CHECK(max_diff(*raw, *want) < 1e-5);
    auto unit = embed(*ctx, toks, {p, true});
    REQUIRE(unit.ok());
    double norm = 0;
    for (float v : *unit) norm += static_cast<double>(v) * v;
    CHECK(std::abs(std::sqrt(norm) - 1.0) < 1e-5);
  }
  CHECK(ctx->n_past() == 0);  // the sequence is not left in the cache
}

TEST_CASE("an embedding does not depend on what the context held or on the batch size") {
  auto toks = tokens("A small red ball rolled down the hill");
  auto fresh = context();
  auto want = embed(*fresh, toks, {});
  REQUIRE(want.ok());
  auto busy = context(128, 3);  // other text cached first, prompt evaluated 3 tokens at a time
  std::vector<float> logits;
  REQUIRE(busy->eval(tokens("Lily and Tom went to the park"), false, logits).ok());
  auto got = embed(*busy, toks, {});
  REQUIRE(got.ok());
  CHECK(max_diff(*want, *got) < 1e-5);
}

TEST_CASE("the model's pooling and pooling names") {
  auto p = model_pooling(*stories());  // stories260K has no pooling_type: mean
  REQUIRE(p.ok());
  CHECK(*p == Pooling::mean);
  CHECK(parse_pooling("last").value() == Pooling::last);
  CHECK(parse_pooling("cls").value() == Pooling::cls);
  CHECK(parse_pooling("none").status().code() == Code::invalid_argument);
  CHECK(parse_pooling("max").status().code() == Code::invalid_argument);
}

TEST_CASE("embedding errors are values") {
  auto ctx = context(16);
  CHECK(embed(*ctx, {}, {}).status().code() == Code::invalid_argument);
  std::vector<Token> long_seq(17, 1);
  CHECK(embed(*ctx, long_seq, {}).status().code() == Code::context_full);
  std::vector<Token> bad{1, 1 << 30};
  CHECK(embed(*ctx, bad, {}).status().code() == Code::invalid_argument);
  CHECK(embed(*ctx, tokens("Hi"), {Pooling::none, true}).status().code() == Code::invalid_argument);
  CHECK(embed(*ctx, tokens("Hi"), {}).ok());  // still usable
}

TEST_CASE("embed_many packs short sequences into one batch and matches one-at-a-time embeddings") {
  const std::vector<std::string> texts = {"Hi", "The dog ran to the park", "Once upon a time there was a girl", "A cat",
                                          "She was happy because the sun was shining"};
  std::vector<std::vector<Token>> seqs;
  for (const auto& t : texts) seqs.push_back(tokens(t));
  for (Pooling p : {Pooling::mean, Pooling::cls, Pooling::last}) {
    auto ctx = context(128, 32);  // a batch holds some but not all of them: several packed batches
    auto many = embed_many(*ctx, seqs, {p, true});
    REQUIRE(many.ok());
    REQUIRE(many->size() == seqs.size());
    for (size_t i = 0; i < seqs.size(); ++i) {
      auto one = embed(*ctx, seqs[i], {p, true});
      REQUIRE(one.ok());
      CHECK(max_diff((*many)[i], *one) < 1e-5);
    }
    CHECK(ctx->n_past() == 0);
  }
  auto ctx = context(128, 32);
  std::vector<std::vector<Token>> with_empty = {seqs[0], {}};
  CHECK(embed_many(*ctx, with_empty, {}).status().code() == Code::invalid_argument);
  std::vector<float> hidden;
  const std::vector<int32_t> bad_lens = {2, 3};
  CHECK(ctx->eval_packed(seqs[1], bad_lens, hidden).code() == Code::invalid_argument);
}
