// The generation-options record: JSON in and out, command-line text, validation, and the
// context's batch size deciding how a long prompt is evaluated.
#include <catch2/catch.hpp>
#include <cmath>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "runtime/options.h"
#include "tests/cpp/test_util.h"

using namespace chord;

TEST_CASE("options: JSON fields apply over the defaults, by their record names") {
  auto o = parse_options_json(R"({"max_tokens": 7, "temperature": 0, "top_k": 3, "repeat_last_n": -1,
      "seed": "18446744073709551615", "stop": ["a", "bc"], "logit_bias": [[5, -1.5], [9, null]], "ignore_eos": true})");
  REQUIRE(o.ok());
  const GenerateOptions d;
  CHECK(o->max_tokens == 7);
  CHECK(o->sampling.temperature == 0.0f);
  CHECK(o->sampling.top_k == 3);
  CHECK(o->sampling.top_p == d.sampling.top_p);  // omitted: default
  CHECK(o->sampling.penalty_last_n == -1);
  CHECK(o->sampling.seed == UINT64_MAX);
  CHECK(o->stop == std::vector<std::string>{"a", "bc"});
  REQUIRE(o->sampling.logit_bias.size() == 2);
  CHECK(o->sampling.logit_bias[0] == std::pair<Token, float>{5, -1.5f});
  CHECK(std::isinf(o->sampling.logit_bias[1].second));  // null (JSON.stringify of -Infinity): banned
  CHECK(o->ignore_eos);
  CHECK(parse_options_json(R"({"seed": 12})")->sampling.seed == 12);
}

TEST_CASE("options: the record round-trips through JSON") {
  GenerateOptions o;
  o.max_tokens = 3;
  o.sampling.top_p = 0.123456789f;
  o.sampling.seed = (1ull << 60) + 1;
  o.sampling.logit_bias = {{1, 2.5f}, {4, -INFINITY}};
  o.stop = {"\"quoted\"\n", "ü"};
  auto back = parse_options_json(options_to_json(o));
  REQUIRE(back.ok());
  CHECK(options_to_json(*back) == options_to_json(o));
  CHECK(back->sampling.top_p == o.sampling.top_p);
  CHECK(back->stop == o.stop);
}

TEST_CASE("options: unknown fields and wrong types name the field") {
  auto expect = [](const char* json, const char* field) {
    auto r = parse_options_json(json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::invalid_argument);
    CHECK_THAT(r.status().message(), Catch::Contains(field));
  };
  expect(R"({"top_kk": 1})", "top_kk");
  expect(R"({"top_k": 1.5})", "top_k");
  expect(R"({"top_k": "3"})", "top_k");
  expect(R"({"temperature": true})", "temperature");
  expect(R"({"seed": -1})", "seed");
  expect(R"({"stop": "x"})", "stop");
  expect(R"({"logit_bias": {"5": 1}})", "logit_bias");
  expect(R"({"ignore_eos": 1})", "ignore_eos");
  CHECK_FALSE(parse_options_json("[1]").ok());
  CHECK_FALSE(parse_options_json("{").ok());
  // Ranges are validate()'s job.
  GenerateOptions o;
  o.max_tokens = -1;
  CHECK_THAT(validate(o).message(), Catch::Contains("max_tokens"));
}

TEST_CASE("options: set_option parses command-line text for any field") {
  GenerateOptions o;
  REQUIRE(set_option(o, "top_p", "0.5").ok());
  REQUIRE(set_option(o, "repeat_last_n", "-1").ok());
  REQUIRE(set_option(o, "stop", "x").ok());
  REQUIRE(set_option(o, "stop", "y").ok());
  REQUIRE(set_option(o, "logit_bias", "12:-3.5").ok());
  REQUIRE(set_option(o, "ignore_eos", "true").ok());
  CHECK(o.sampling.top_p == 0.5f);
  CHECK(o.sampling.penalty_last_n == -1);
  CHECK(o.stop == std::vector<std::string>{"x", "y"});
  CHECK(o.sampling.logit_bias.back() == std::pair<Token, float>{12, -3.5f});
  CHECK(o.ignore_eos);
  CHECK_FALSE(set_option(o, "top_k", "x").ok());
  CHECK_FALSE(set_option(o, "logit_bias", "12").ok());
  CHECK_FALSE(set_option(o, "nope", "1").ok());
}

TEST_CASE("options: the context's batch size sets how many prompt batches a generation runs") {
  auto m = Model::load_file(test::model_path("gguf/stories260K.gguf"));
  REQUIRE(m.ok());
  std::vector<Token> prompt;
  for (int i = 0; i < 600; ++i) prompt.push_back(static_cast<Token>(100 + i % 200));
  for (auto [n_batch, want] : {std::pair{256, 3}, std::pair{64, 10}, std::pair{600, 1}}) {
    auto ctx = Context::create(*m, ContextOptions{1024, n_batch, 1});
    REQUIRE(ctx.ok());
    GenerateOptions go;
    go.max_tokens = 1;
    auto g = Generator::start(**ctx, prompt, go);
    REQUIRE(g.ok());
    while (!(*g)->done()) REQUIRE((*g)->step().ok());
    INFO("n_batch " << n_batch);
    CHECK((*g)->prompt_batches() == want);
  }
}
