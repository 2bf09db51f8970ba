// External contexts (ContextOptions::external, the WebGPU backend's protocol): eval() records
// pending tokens instead of computing; the caller evaluates them (here: a CPU context standing in
// for the GPU) and hands the logits to the Generator, which then samples exactly as on the CPU.
#include <catch2/catch.hpp>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "tests/cpp/test_models.h"

using namespace chord;

namespace {

using test::stories;

ContextOptions external_opts(int32_t n_ctx, int32_t n_batch) {
  ContextOptions o{n_ctx, n_batch, 1};
  o.external = true;
  return o;
}

// Runs a generation on `ext`, evaluating what it records on `cpu` after every step.
std::vector<Token> drive(Context& ext, Context& cpu, const std::vector<Token>& prompt, GenerateOptions go) {
  auto g = Generator::start(ext, prompt, go);
  REQUIRE(g.ok());
  cpu.truncate(ext.n_past());  // the stand-in GPU cache keeps the reused prefix only
  std::vector<Token> out;
  std::vector<float> logits;
  for (;;) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    PendingEval p = ext.take_pending();
    if (!p.tokens.empty()) {
      REQUIRE(p.pos == cpu.n_past());
      REQUIRE(cpu.eval(p.tokens, false, logits).ok());
      REQUIRE((*g)->set_logits(logits).ok());
    }
    if (s->token >= 0) out.push_back(s->token);
    if (s->done) break;
  }
  return out;
}

std::vector<Token> plain(Context& ctx, const std::vector<Token>& prompt, GenerateOptions go) {
  auto g = Generator::start(ctx, prompt, go);
  REQUIRE(g.ok());
  std::vector<Token> out;
  for (;;) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    if (s->token >= 0) out.push_back(s->token);
    if (s->done) break;
  }
  return out;
}

}  // namespace

TEST_CASE("an external context records pending tokens; truncate drops those past the end") {
  auto m = stories();
  auto c = Context::create(m, external_opts(64, 8));
  REQUIRE(c.ok());
  Context& ctx = **c;
  std::vector<float> logits;
  const std::vector<Token> a{1, 403, 407}, b{261, 378};
  REQUIRE(ctx.eval(a, false, logits).ok());
  REQUIRE(ctx.eval(b, false, logits).ok());
  CHECK(ctx.n_past() == 5);
  PendingEval p = ctx.take_pending();
  CHECK(p.pos == 0);
  CHECK(p.tokens == std::vector<Token>{1, 403, 407, 261, 378});
  CHECK(ctx.take_pending().tokens.empty());
  REQUIRE(ctx.eval(a, false, logits).ok());
  ctx.truncate(6);  // keeps one of the three pending tokens
  p = ctx.take_pending();
  CHECK(p.pos == 5);
  CHECK(p.tokens == std::vector<Token>{1});
  CHECK(ctx.eval(a, true, logits).code() == Code::unsupported);
  CHECK(ctx.shift(1, 2).code() == Code::unsupported);
  std::vector<float> hidden;
  CHECK(ctx.eval_hidden(a, hidden).code() == Code::unsupported);
}

TEST_CASE("a generator over an external context samples the CPU's tokens from handed-in logits") {
  auto m = stories();
  auto ext = Context::create(m, external_opts(128, 4));  // several prompt steps
  auto cpu = Context::create(m, {128, 4, 1});
  auto ref = Context::create(m, {128, 64, 1});
  REQUIRE(ext.ok());
  REQUIRE(cpu.ok());
  REQUIRE(ref.ok());
  GenerateOptions go;
  go.max_tokens = 24;
  go.sampling.temperature = 0;
  auto prompt = m->tokenizer()->encode("Once upon a time, there was a little dog", true, false);
  auto want = plain(**ref, prompt, go);
  CHECK(drive(**ext, **cpu, prompt, go) == want);
  // Prefix reuse: the same prompt again evaluates only its last token.
  CHECK(drive(**ext, **cpu, prompt, go) == want);
  auto g = Generator::start(**ext, prompt, go);
  REQUIRE(g.ok());
  CHECK((*g)->set_logits(std::vector<float>(3)).code() == Code::invalid_argument);
  go.context_shift = true;
  CHECK(Generator::start(**ext, prompt, go).status().code() == Code::unsupported);
}
