// Limits and faults at the C++ level (runtime/context.h, generator.h, sampler.h): prompts longer
// than the context, generation past it, max_tokens 0, bad sampling values, unknown token ids, NaN
// logits, contexts whose KV cache would not fit a wasm heap, and aborts. Each gives a typed error
// with a clear message, or the documented clamping.
#include <catch2/catch.hpp>
#include <climits>
#include <cmath>
#include <functional>

#include "core/gguf/keys.h"
#include "tests/cpp/hostile/hostile_util.h"

using namespace chord;
using namespace chord::test;

namespace {

std::shared_ptr<const Model> tiny_model() {
  static const std::shared_ptr<const Model> m = [] {
    auto r = load_bytes(make_tiny().bytes());
    REQUIRE(r.ok());
    return *r;
  }();
  return m;
}

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

std::vector<Token> n_tokens(size_t n) {
  std::vector<Token> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<Token>(3 + i % 250);
  return v;
}

}  // namespace

TEST_CASE("limits: a prompt longer than the context is refused with both lengths") {
  auto ctx = Context::create(tiny_model(), {16, 8, 1});
  REQUIRE(ctx.ok());
  GenerateOptions go;
  auto g = Generator::start(**ctx, n_tokens(17), go);
  expect_error(g.status(), Code::context_full, {"17", "16"});
  std::vector<float> logits;
  expect_error((*ctx)->eval(n_tokens(17), false, logits), Code::context_full, {"17", "16"});
  CHECK((*ctx)->n_past() == 0);  // nothing was evaluated
  // Exactly the context length is fine, and then one more token is not.
  REQUIRE((*ctx)->eval(n_tokens(16), false, logits).ok());
  expect_error((*ctx)->eval(n_tokens(1), false, logits), Code::context_full, {"16 + 1"});
}

TEST_CASE("limits: generation past the context stops with finish reason 'length'") {
  auto ctx = Context::create(tiny_model(), {16, 8, 1});
  REQUIRE(ctx.ok());
  GenerateOptions go;
  go.max_tokens = 1000;
  go.ignore_eos = true;
  go.sampling.temperature = 0;
  auto g = Generator::start(**ctx, n_tokens(10), go);
  REQUIRE(g.ok());
  std::string reason;
  int steps = 0;
  while (!(*g)->done()) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    if (s->done) reason = s->finish_reason;
    REQUIRE(++steps < 100);
  }
  CHECK(reason == "length");
  // Positions 10..15 hold sampled tokens; the last sampled token is returned but never evaluated.
  CHECK((*ctx)->n_past() == 16);
  CHECK((*g)->completion_tokens() == 16 - 10 + 1);
  expect_error((*g)->step().status(), Code::invalid_argument, {"finished"});
}

TEST_CASE("limits: max_tokens 0 evaluates the prompt and returns nothing; negative is refused") {
  auto ctx = Context::create(tiny_model(), {32, 4, 1});
  REQUIRE(ctx.ok());
  GenerateOptions go;
  go.max_tokens = 0;
  auto g = Generator::start(**ctx, n_tokens(9), go);
  REQUIRE(g.ok());
  std::string text, reason;
  while (!(*g)->done()) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    CHECK(s->token == -1);
    text += s->text;
    if (s->done) reason = s->finish_reason;
  }
  CHECK(text.empty());
  CHECK(reason == "length");
  CHECK((*g)->completion_tokens() == 0);
  go.max_tokens = -1;
  expect_error(Generator::start(**ctx, n_tokens(3), go).status(), Code::invalid_argument, {"max_tokens"});
  go.max_tokens = INT_MIN;
  expect_error(Generator::start(**ctx, n_tokens(3), go).status(), Code::invalid_argument, {"max_tokens"});
  go.max_tokens = 4;
  expect_error(Generator::start(**ctx, {}, go).status(), Code::invalid_argument, {"prompt"});
  go.stop = {"ok", ""};
  expect_error(Generator::start(**ctx, n_tokens(3), go).status(), Code::invalid_argument, {"stop"});
  std::vector<float> logits;
  expect_error((*ctx)->eval({}, false, logits), Code::invalid_argument, {"no tokens"});
}

TEST_CASE("limits: negative or NaN sampling values are refused, documented ranges are clamped") {
  struct Bad {
    const char* field;
    std::function<void(SamplerParams&)> set;
  };
  const std::vector<Bad> bad = {
      {"temperature", [](SamplerParams& p) { p.temperature = NAN; }},
      {"temperature", [](SamplerParams& p) { p.temperature = -0.5f; }},
      {"top_p", [](SamplerParams& p) { p.top_p = NAN; }},
      {"top_p", [](SamplerParams& p) { p.top_p = -0.1f; }},
      {"top_p", [](SamplerParams& p) { p.top_p = 1.5f; }},
      {"min_p", [](SamplerParams& p) { p.min_p = NAN; }},
      {"min_p", [](SamplerParams& p) { p.min_p = -1.0f; }},
      {"repeat_penalty", [](SamplerParams& p) { p.repeat_penalty = 0.0f; }},
      {"repeat_penalty", [](SamplerParams& p) { p.repeat_penalty = -1.0f; }},
      {"repeat_penalty", [](SamplerParams& p) { p.repeat_penalty = NAN; }},
      {"frequency_penalty", [](SamplerParams& p) { p.frequency_penalty = INFINITY; }},
      {"presence_penalty", [](SamplerParams& p) { p.presence_penalty = NAN; }},
      {"repeat_last_n", [](SamplerParams& p) { p.penalty_last_n = -2; }},
      {"logit_bias",
       [](SamplerParams& p) {
         p.logit_bias = {{5, NAN}};
       }},
  };
  auto ctx = Context::create(tiny_model(), {32, 8, 1});
  REQUIRE(ctx.ok());
  for (const Bad& b : bad) {
    GenerateOptions go;
    b.set(go.sampling);
    INFO(b.field);
    expect_error(Generator::start(**ctx, n_tokens(3), go).status(), Code::invalid_argument, {b.field});
  }
  // Accepted and documented: top_k <= 0 is off, top_k past the vocabulary keeps all, infinite
  // temperature is uniform over the survivors, penalty_last_n -1 is the whole history, biases for
  // ids outside the vocabulary are ignored, -inf bans a token.
  const int32_t nv = tiny_model()->desc().n_vocab;
  const std::vector<std::function<void(SamplerParams&)>> ok = {
      [](SamplerParams& p) { p.top_k = -5; },
      [](SamplerParams& p) { p.top_k = INT_MAX; },
      [](SamplerParams& p) {
        p.temperature = INFINITY;
        p.top_k = 0;
        p.top_p = 1;
        p.min_p = 0;
      },
      [](SamplerParams& p) {
        p.penalty_last_n = -1;
        p.repeat_penalty = 1e30f;
        p.frequency_penalty = -1e30f;
      },
      [nv](SamplerParams& p) {
        p.logit_bias = {{-1, 5.0f}, {nv, 5.0f}, {INT_MIN, 1.0f}, {3, INFINITY}};
      },
      [nv](SamplerParams& p) {
        for (Token t = 0; t < nv; ++t) p.logit_bias.emplace_back(t, -INFINITY);  // every token banned
      },
  };
  for (size_t i = 0; i < ok.size(); ++i) {
    GenerateOptions go;
    go.max_tokens = 4;
    go.ignore_eos = true;
    ok[i](go.sampling);
    INFO("accepted case " << i);
    auto g = Generator::start(**ctx, n_tokens(3), go);
    REQUIRE(g.ok());
    while (!(*g)->done()) {
      auto s = (*g)->step();
      REQUIRE(s.ok());
      CHECK(s->token < nv);
    }
  }
}

TEST_CASE("limits: NaN and inf logits still sample a token inside the vocabulary") {
  for (float poison : {NAN, INFINITY, -INFINITY}) {
    for (int pattern = 0; pattern < 4; ++pattern) {
      std::vector<float> logits(300);
      for (size_t i = 0; i < logits.size(); ++i) {
        const bool hit = pattern == 0 ? true : pattern == 1 ? i % 2 == 0 : pattern == 2 ? i % 17 == 3 : i == 299;
        logits[i] = hit ? poison : static_cast<float>(i % 13) - 6.0f;
      }
      for (int cfg = 0; cfg < 4; ++cfg) {
        SamplerParams p;
        p.top_k = cfg == 0 ? 0 : cfg == 1 ? 40 : cfg == 2 ? 1 : 299;
        p.top_p = cfg == 3 ? 0.5f : 0.95f;
        p.temperature = cfg == 2 ? 0.0f : 0.8f;
        p.repeat_penalty = 1.1f;
        REQUIRE(validate(p).ok());
        Sampler s(p);
        const std::vector<Token> recent = {1, 2, 299, -4, 5000};
        for (int k = 0; k < 5; ++k) {
          const Token t = s.sample(logits, recent);
          INFO("poison " << poison << " pattern " << pattern << " cfg " << cfg);
          REQUIRE((t >= 0 && t < 300));
        }
      }
    }
  }
  // A model whose output norm is NaN produces NaN logits end to end.
  TinyModel m = make_tiny();
  TinyTensor* norm = m.tensor("output_norm.weight");
  std::vector<float> nan(32, NAN);
  std::memcpy(norm->data.data(), nan.data(), norm->data.size());
  auto model = load_bytes(m.bytes());
  REQUIRE(model.ok());
  auto ctx = Context::create(*model, {16, 4, 1});
  REQUIRE(ctx.ok());
  GenerateOptions go;
  go.max_tokens = 4;
  go.ignore_eos = true;
  auto g = Generator::start(**ctx, n_tokens(3), go);
  REQUIRE(g.ok());
  while (!(*g)->done()) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    CHECK(s->token < (*model)->desc().n_vocab);
  }
}

TEST_CASE("limits: unknown token ids to evaluate, detokenize and stream") {
  auto m = tiny_model();
  const Tokenizer& tok = *m->tokenizer();
  const Token nv = tok.vocab_size();
  for (Token bad : {Token(-1), nv, nv + 1, Token(INT_MIN), Token(INT_MAX)}) {
    INFO("id " << bad);
    CHECK(tok.token_to_piece(bad, true).empty());  // documented: no text
    CHECK(tok.token_to_piece(bad, false).empty());
    CHECK(tok.token_text(bad).empty());
    CHECK_FALSE(tok.is_eog(bad));
    CHECK_FALSE(tok.is_control(bad));
    const std::vector<Token> good = tok.encode("Once upon a time", false, false);
    REQUIRE(good.size() >= 2);
    std::vector<Token> mixed = good;
    mixed.insert(mixed.begin() + 1, bad);
    CHECK(tok.decode(mixed, false) == tok.decode(good, false));
    StreamDecoder a(m->tokenizer()), b(m->tokenizer());
    std::string sa, sb;
    for (Token t : mixed) sa += a.push(t);
    for (Token t : good) sb += b.push(t);
    CHECK(sa + a.flush() == sb + b.flush());

    auto ctx = Context::create(m, {16, 8, 1});
    REQUIRE(ctx.ok());
    std::vector<float> logits;
    expect_error((*ctx)->eval(mixed, false, logits), Code::invalid_argument, {std::to_string(bad)});
    CHECK((*ctx)->n_past() == 0);
    expect_error(Generator::start(**ctx, mixed, {}).status(), Code::invalid_argument, {std::to_string(bad)});
  }
}

TEST_CASE("limits: a KV cache too large for a wasm heap is refused before allocating, with sizes") {
  auto m = tiny_model();
  // Past 2^20 tokens.
  auto c = Context::create(m, {(1 << 20) + 1, 8, 1});
  expect_error(c.status(), Code::out_of_memory, {"1048577 tokens", "MiB", "KV cache"});

  // kv_dim 8 * 512 = 4096: 16 KiB of f16 K+V per token and layer, so 200k tokens need 3125 MiB.
  TinySpec s;
  s.n_head = 8;
  s.n_head_kv = 8;
  s.head_dim = 512;
  s.wtype = GgmlType::Q8_0;
  auto big = load_bytes(make_tiny(s).bytes());
  REQUIRE(big.ok());
  REQUIRE((*big)->desc().kv_dim() == 4096);
  c = Context::create(*big, {200000, 8, 1});
  expect_error(c.status(), Code::out_of_memory, {"200000 tokens", "3125 MiB of KV cache", "limit"});
  ContextOptions f32;
  f32.n_ctx = 100000;  // 100k tokens fit in f16 (1563 MiB) but not in f32 (3125 MiB)
  f32.n_batch = 8;
  f32.threads = 1;
  f32.kv_f32 = true;
  expect_error(Context::create(*big, f32).status(), Code::out_of_memory, {"3125 MiB of KV cache"});
  // A small context of the same model is fine, and its footprint is what the check computed.
  auto small = Context::create(*big, {64, 8, 1});
  REQUIRE(small.ok());
  CHECK((*small)->memory_bytes() >= 64ull * 4096 * 2 * 2);

  expect_error(Context::create(m, {-1, 8, 1}).status(), Code::invalid_argument, {"negative"});
  expect_error(Context::create(m, {16, -8, 1}).status(), Code::invalid_argument, {"negative"});
  expect_error(Context::create(m, {16, 8, 100000}).status(), Code::invalid_argument, {"threads"});
  // Defaults: n_ctx 0 takes the training context (64 here), n_batch past n_ctx is clamped.
  auto d = Context::create(m, {0, 1000, 1});
  REQUIRE(d.ok());
  CHECK((*d)->n_ctx() == 64);
}

TEST_CASE("limits: the context budget is known from the header alone, before the weights arrive") {
  TinySpec s;
  s.n_head = 8;
  s.n_head_kv = 8;
  s.head_dim = 512;
  s.wtype = GgmlType::Q8_0;
  const std::vector<uint8_t> bytes = make_tiny(s).bytes();
  auto full = gguf::File::parse(bytes);
  REQUIRE(full.ok());
  // The header ends where the first tensor's data starts (the data section is aligned).
  const uint8_t* data0 = full->tensors().front().data;
  for (const auto& t : full->tensors()) data0 = std::min(data0, t.data);
  const size_t header = static_cast<size_t>(data0 - bytes.data());
  std::span<const uint8_t> head(bytes.data(), header);
  auto plan = plan_model({head}, {bytes.size()});
  REQUIRE(plan.ok());
  CHECK(plan->file_bytes == bytes.size());
  auto big = load_bytes(bytes);
  REQUIRE(big.ok());
  for (int32_t n_ctx : {64, 1000, 100000, 200000}) {
    const ContextOptions o{n_ctx, 8, 1};
    auto a = Context::plan(plan->desc, plan->weights, plan->file_bytes, o);
    auto c = Context::create(*big, o);
    REQUIRE(a.ok() == c.ok());
    if (!a.ok()) {
      CHECK(a.status().code() == Code::out_of_memory);
      CHECK(a.status().message() == c.status().message());  // the same sizes, to the byte
    } else {
      CHECK(a->kv_bytes + a->scratch_bytes == (*c)->memory_bytes());
    }
  }
  // A header cut short, or claiming more bytes than the file size, is bad_gguf; no data is read.
  CHECK(plan_model({head.first(header / 2)}, {bytes.size()}).status().code() == Code::bad_gguf);
  CHECK(plan_model({head}, {header + 1}).status().code() == Code::bad_gguf);
  auto header_only = gguf::File::parse_header(head, bytes.size());
  REQUIRE(header_only.ok());
  for (const auto& t : header_only->tensors()) CHECK(t.data == nullptr);
}

TEST_CASE("faults: an abort between layers gives Code::aborted and keeps the context usable") {
  auto ctx = Context::create(tiny_model(), {16, 8, 1});
  REQUIRE(ctx.ok());
  std::vector<float> logits;
  (*ctx)->abort_flag() = true;
  expect_error((*ctx)->eval(n_tokens(4), false, logits), Code::aborted, {"abort"});
  CHECK((*ctx)->n_past() == 0);
  (*ctx)->abort_flag() = false;
  REQUIRE((*ctx)->eval(n_tokens(4), false, logits).ok());
  CHECK((*ctx)->n_past() == 4);
}
