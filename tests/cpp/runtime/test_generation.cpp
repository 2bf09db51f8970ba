// Batch prefill vs token-by-token, KV prefix reuse, sampling reproducibility and stop conditions.
#include <catch2/catch.hpp>
#include <cmath>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "tests/cpp/test_models.h"

using namespace chord;

namespace {

using test::stories;

std::string generate(Context& ctx, const std::string& prompt, GenerateOptions go, Generator** out = nullptr,
                     std::string* finish = nullptr) {
  auto toks = ctx.model().tokenizer()->encode(prompt, true, false);
  auto g = Generator::start(ctx, toks, go);
  REQUIRE(g.ok());
  std::string text;
  for (;;) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    text += s->text;
    if (s->done) {
      if (finish) *finish = s->finish_reason;
      break;
    }
  }
  return text;
}

}  // namespace

TEST_CASE("batched prompt evaluation equals token-by-token evaluation") {
  auto m = stories();
  auto toks =
      m->tokenizer()->encode("Once upon a time, there was a little dog named Max who liked to run", true, false);
  REQUIRE(toks.size() > 10);
  auto a = Context::create(m, {128, 64, 1});
  auto b = Context::create(m, {128, 5, 2});  // small batches, 2 threads
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::vector<float> la, lb, step;
  REQUIRE((*a)->eval(toks, true, la).ok());
  for (size_t i = 0; i < toks.size(); ++i) {
    REQUIRE((*b)->eval(std::span<const Token>(&toks[i], 1), false, step).ok());
    lb.insert(lb.end(), step.begin(), step.end());
  }
  REQUIRE(la.size() == lb.size());
  double max_err = 0;
  for (size_t i = 0; i < la.size(); ++i) max_err = std::max(max_err, static_cast<double>(std::abs(la[i] - lb[i])));
  CHECK(max_err < 1e-4);
}

TEST_CASE("a second request reuses the shared KV prefix and gives the same text as a fresh context") {
  auto m = stories();
  GenerateOptions go;
  go.max_tokens = 20;
  go.sampling.temperature = 0;
  auto ctx = Context::create(m, {256, 64, 1});
  REQUIRE(ctx.ok());
  std::string first = generate(**ctx, "Once upon a time", go);
  // Second turn: prompt extends the first; only the new part is evaluated.
  std::string prompt2 = "Once upon a time" + first + " Then";
  auto toks2 = m->tokenizer()->encode(prompt2, true, false);
  auto g = Generator::start(**ctx, toks2, go);
  REQUIRE(g.ok());
  CHECK((*g)->cached_tokens() > 5);
  std::string cont;
  for (;;) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    cont += s->text;
    if (s->done) break;
  }
  auto fresh = Context::create(m, {256, 64, 1});
  REQUIRE(fresh.ok());
  CHECK(generate(**fresh, prompt2, go) == cont);
}

TEST_CASE("seeded sampling is reproducible and different seeds differ") {
  auto m = stories();
  GenerateOptions go;
  go.max_tokens = 40;
  go.sampling.temperature = 1.0f;
  go.sampling.top_k = 0;
  go.sampling.top_p = 1.0f;
  go.sampling.min_p = 0.0f;
  auto run = [&](uint64_t seed) {
    go.sampling.seed = seed;
    auto ctx = Context::create(m, {128, 64, 1});
    REQUIRE(ctx.ok());
    return generate(**ctx, "Once upon a time", go);
  };
  std::string a = run(42), b = run(42), c = run(7);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("stop strings, max_tokens and EOS end a generation") {
  auto m = stories();
  GenerateOptions go;
  go.sampling.temperature = 0;
  auto ctx = Context::create(m, {512, 64, 1});
  REQUIRE(ctx.ok());
  std::string finish;
  go.max_tokens = 200;
  go.stop = {"park"};
  std::string text = generate(**ctx, "Once upon a time", go, nullptr, &finish);
  CHECK(finish == "stop");
  CHECK(text.find("park") == std::string::npos);
  CHECK(text == ", there was a little girl named Lily. She loved to play outside in the ");

  go.stop.clear();
  go.max_tokens = 3;
  generate(**ctx, "Once upon a time", go, nullptr, &finish);
  CHECK(finish == "length");

  go.max_tokens = 0;
  CHECK(generate(**ctx, "Once upon a time", go, nullptr, &finish).empty());
  CHECK(finish == "length");
}

TEST_CASE("a continuation keeps the space of its first token; text after BOS does not start with one") {
  auto m = stories();
  GenerateOptions go;
  go.sampling.temperature = 0;
  go.max_tokens = 3;
  auto ctx = Context::create(m, {128, 64, 1});
  REQUIRE(ctx.ok());
  CHECK(generate(**ctx, "Once upon", go) == " a time,");  // "Once upon" + " a time," as the golden text
  auto g = Generator::start(**ctx, {m->tokenizer()->bos()}, go);
  REQUIRE(g.ok());
  std::string text;
  for (;;) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    text += s->text;
    if (s->done) break;
  }
  CHECK(text == "Once upon a");
}

TEST_CASE("bad requests get typed errors") {
  auto m = stories();
  auto ctx = Context::create(m, {16, 8, 1});
  REQUIRE(ctx.ok());
  std::vector<float> logits;
  std::vector<Token> too_long(17, 5);
  CHECK((*ctx)->eval(too_long, false, logits).code() == Code::context_full);
  std::vector<Token> bad{1, 99999};
  CHECK((*ctx)->eval(bad, false, logits).code() == Code::invalid_argument);
  GenerateOptions go;
  go.sampling.temperature = NAN;
  CHECK(Generator::start(**ctx, {1, 2}, go).status().code() == Code::invalid_argument);
  go.sampling.temperature = 0;
  go.max_tokens = -1;
  CHECK(Generator::start(**ctx, {1, 2}, go).status().code() == Code::invalid_argument);
  go.max_tokens = 4;
  CHECK(Generator::start(**ctx, too_long, go).status().code() == Code::context_full);
  CHECK(Context::create(m, {-1, 8, 1}).status().code() == Code::invalid_argument);
}

TEST_CASE("context shift keeps generating past a full context; without it the context ends it") {
  auto m = stories();
  auto ctx = Context::create(m, {48, 16, 1});
  REQUIRE(ctx.ok());
  const auto prompt = m->tokenizer()->encode("Once upon a time", true, false);
  GenerateOptions go;
  go.sampling.temperature = 0;
  go.ignore_eos = true;
  go.max_tokens = 120;
  auto run = [&](const GenerateOptions& o, std::string& finish, int32_t& shifts) {
    auto g = Generator::start(**ctx, prompt, o);
    REQUIRE(g.ok());
    for (;;) {
      auto s = (*g)->step();
      REQUIRE(s.ok());
      if (s->done) {
        finish = s->finish_reason;
        break;
      }
    }
    shifts = (*g)->context_shifts();
    CHECK((*ctx)->n_past() <= 48);
    return (*g)->completion_tokens();
  };
  std::string finish;
  int32_t shifts = 0;
  // The last token is sampled from the full context's logits and never evaluated.
  CHECK(run(go, finish, shifts) == 48 - static_cast<int32_t>(prompt.size()) + 1);
  CHECK(finish == "length");
  CHECK(shifts == 0);
  go.context_shift = true;
  go.n_keep = -1;  // the whole prompt stays
  CHECK(run(go, finish, shifts) == 120);
  CHECK(finish == "length");
  CHECK(shifts >= 3);
  for (size_t i = 0; i < prompt.size(); ++i) CHECK((*ctx)->history()[i] == prompt[i]);
  go.n_keep = 0;
  go.n_discard = 8;
  CHECK(run(go, finish, shifts) == 120);
  CHECK(shifts >= 10);
  CHECK((*ctx)->history()[0] == prompt[0]);  // BOS is always kept
  go.n_discard = -1;
  auto bad = Generator::start(**ctx, prompt, go);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("n_discard") != std::string::npos);
}
