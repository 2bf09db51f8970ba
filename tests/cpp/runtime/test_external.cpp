// External contexts (ContextOptions::external, the WebGPU backend's protocol): eval(), shift() and
// eval_hidden() record what to do instead of computing; the caller applies and evaluates it (here: a
// CPU context standing in for the GPU) and hands back logits (the Generator then samples exactly as
// on the CPU) or hidden states (pool_hidden then gives embed_many's vectors).
#include <catch2/catch.hpp>

#include "core/gguf/gguf.h"
#include "runtime/context.h"
#include "runtime/embed.h"
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
    for (const PendingShift& sh : p.shifts) {
      REQUIRE(sh.n_past == cpu.n_past());
      REQUIRE(cpu.shift(sh.n_keep, sh.n_discard).ok());
    }
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
  CHECK(ctx.memory_bytes() == 0);  // no CPU KV cache or scratch
  auto plan = Context::plan(m->desc(), m->weights(), m->file_bytes(), external_opts(64, 8));
  REQUIRE(plan.ok());
  CHECK(plan->kv_bytes + plan->scratch_bytes == 0);
  CHECK(Context::plan(m->desc(), m->weights(), m->file_bytes(), external_opts((1 << 20) + 1, 8)).status().code() ==
        Code::out_of_memory);
}

TEST_CASE("an external context records shifts before the pending tokens, which move down with them") {
  auto m = stories();
  auto c = Context::create(m, external_opts(64, 8));
  REQUIRE(c.ok());
  Context& ctx = **c;
  std::vector<float> logits;
  REQUIRE(ctx.eval(std::vector<Token>{1, 10, 11, 12, 13, 14}, false, logits).ok());
  (void)ctx.take_pending();  // the caller's cache holds 6 rows
  REQUIRE(ctx.eval(std::vector<Token>{15, 16}, false, logits).ok());
  CHECK(ctx.shift(1, 6).code() == Code::invalid_argument);  // would drop a token not evaluated yet
  REQUIRE(ctx.shift(1, 2).ok());
  REQUIRE(ctx.shift(2, 1).ok());
  CHECK(ctx.history() == std::vector<Token>{1, 12, 14, 15, 16});
  PendingEval p = ctx.take_pending();
  REQUIRE(p.shifts.size() == 2);
  CHECK((p.shifts[0].n_keep == 1 && p.shifts[0].n_discard == 2 && p.shifts[0].n_past == 6));
  CHECK((p.shifts[1].n_keep == 2 && p.shifts[1].n_discard == 1 && p.shifts[1].n_past == 4));
  CHECK(p.pos == 3);
  CHECK(p.tokens == std::vector<Token>{15, 16});
  CHECK(!p.hidden);
  REQUIRE(ctx.shift(0, 5).ok());  // nothing pending: the shift covers every row
  p = ctx.take_pending();
  REQUIRE(p.shifts.size() == 1);
  CHECK(p.shifts[0].n_past == 5);
  CHECK(p.tokens.empty());
  CHECK(ctx.n_past() == 0);
}

TEST_CASE("context shift over an external context gives the CPU's tokens") {
  auto m = stories();
  auto ext = Context::create(m, external_opts(40, 8));
  auto cpu = Context::create(m, {40, 8, 1});
  auto ref = Context::create(m, {40, 8, 1});
  REQUIRE(ext.ok());
  REQUIRE(cpu.ok());
  REQUIRE(ref.ok());
  GenerateOptions go;
  go.max_tokens = 90;  // several shifts of a 40-token context
  go.sampling.temperature = 0;
  go.context_shift = true;
  go.ignore_eos = true;
  go.n_keep = 2;
  auto prompt = m->tokenizer()->encode("Once upon a time, there was", true, false);
  auto want = plain(**ref, prompt, go);
  CHECK(want.size() == 90);
  CHECK(drive(**ext, **cpu, prompt, go) == want);
  CHECK((*ext)->history() == (*cpu)->history());
}

TEST_CASE("an external context records hidden-state requests; pool_hidden gives embed_many's vectors") {
  auto m = stories();
  auto ext = Context::create(m, external_opts(64, 8));
  auto cpu = Context::create(m, {64, 8, 1});
  auto ref = Context::create(m, {64, 8, 1});
  REQUIRE(ext.ok());
  REQUIRE(cpu.ok());
  REQUIRE(ref.ok());
  Context &e = **ext, &c = **cpu;
  const std::vector<std::vector<Token>> seqs{{1, 403, 407}, {1, 261, 378, 300, 301, 302, 303, 304, 305, 306, 307}};
  for (Pooling pooling : {Pooling::mean, Pooling::last, Pooling::cls}) {
    EmbedOptions eo;
    eo.pooling = pooling;
    auto want = embed_many(**ref, seqs, eo);
    REQUIRE(want.ok());
    CHECK(embed_many(**ext, seqs, eo).status().code() == Code::unsupported);
    std::vector<float> all, hidden;
    std::vector<int32_t> lens;
    for (const auto& seq : seqs) {  // one sequence at a time, as the WebGPU backend runs them
      e.truncate(0);
      REQUIRE(e.eval_hidden(seq, hidden).ok());
      CHECK(hidden.empty());
      PendingEval p = e.take_pending();
      REQUIRE(p.hidden);
      REQUIRE(p.pos == 0);
      c.truncate(0);
      REQUIRE(c.eval_hidden(p.tokens, hidden).ok());
      all.insert(all.end(), hidden.begin(), hidden.end());
      lens.push_back(static_cast<int32_t>(seq.size()));
    }
    auto got = pool_hidden(*m, all, lens, eo);
    REQUIRE(got.ok());
    REQUIRE(got->size() == want->size());
    for (size_t i = 0; i < want->size(); ++i)
      for (size_t j = 0; j < (*want)[i].size(); ++j) CHECK((*got)[i][j] == Approx((*want)[i][j]).margin(1e-5));
    CHECK(pool_hidden(*m, all, std::vector<int32_t>{3}, eo).status().code() == Code::invalid_argument);
  }
  std::vector<float> logits, hidden;
  REQUIRE(e.eval_hidden(seqs[0], hidden).ok());
  CHECK(e.eval(seqs[0], false, logits).code() == Code::invalid_argument);  // not both kinds at once
  e.truncate(0);
  CHECK(e.take_pending().tokens.empty());
}

TEST_CASE("an external context records a non-causal model's whole sequence from position 0") {
  // stories260K with <arch>.attention.causal = false: each token sees its whole sequence, as in
  // the encoders (bert, nomic-bert) and embedding decoders.
  auto bytes = gguf::read_file(test::model_path("gguf/stories260K.gguf"));
  REQUIRE(bytes.ok());
  auto f = gguf::File::parse(*bytes);
  REQUIRE(f.ok());
  gguf::Writer w;
  for (const auto& [key, value] : f->metadata())
    if (key != "llama.attention.causal") w.set_value(key, value);
  w.set_bool("llama.attention.causal", false);
  for (const gguf::TensorInfo& t : f->tensors())
    REQUIRE(
        w.add_tensor(t.name, t.type, {t.ne.begin(), t.ne.begin() + t.n_dims}, {t.data, static_cast<size_t>(t.nbytes)})
            .ok());
  auto out = std::make_shared<std::vector<uint8_t>>(w.finish());
  auto loaded = Model::load(ModelBytes{{std::span<const uint8_t>(*out)}, out});
  REQUIRE(loaded.ok());
  std::shared_ptr<const Model> m = *loaded;
  REQUIRE_FALSE(m->desc().causal);
  auto ext = Context::create(m, external_opts(32, 8));
  auto cpu = Context::create(m, {32, 8, 1});
  REQUIRE(ext.ok());
  REQUIRE(cpu.ok());
  Context &e = **ext, &c = **cpu;
  CHECK(e.n_batch() == 32);  // a sequence is one batch
  const std::vector<Token> seq{1, 261, 378, 300, 301, 302, 303, 304, 305, 306, 307, 308};
  std::vector<float> hidden, want, logits;
  REQUIRE(e.eval_hidden(seq, hidden).ok());
  CHECK(hidden.empty());
  PendingEval p = e.take_pending();
  REQUIRE(p.hidden);
  CHECK(p.pos == 0);
  CHECK(p.tokens == seq);
  REQUIRE(c.eval_hidden(p.tokens, want).ok());
  CHECK(want.size() == seq.size() * static_cast<size_t>(m->desc().n_embd));
  // As on the CPU: only from position 0, within the context; no logits.
  CHECK(e.eval_hidden(seq, hidden).code() == Code::invalid_argument);
  CHECK(c.eval_hidden(seq, hidden).code() == Code::invalid_argument);
  e.truncate(0);
  CHECK(e.take_pending().tokens.empty());
  CHECK(e.eval_hidden(std::vector<Token>(33, 1), hidden).code() == Code::context_full);
  CHECK(e.eval(seq, false, logits).code() == Code::unsupported);
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
}
