// Generation under a grammar / JSON Schema through the options record: greedy output equal to
// llama.cpp's, sampled output always valid (top-k and full-vocabulary paths), errors at start.
#include <catch2/catch.hpp>

#include "core/template/chat_template.h"
#include "runtime/context.h"
#include "runtime/generator.h"
#include "runtime/options.h"
#include "tests/cpp/grammar/grammars.h"
#include "tests/cpp/test_models.h"

using namespace chord;

namespace {

using test::stories;

struct Out {
  std::string text, finish;
};

Out run(const std::string& prompt, const GenerateOptions& go) {
  auto ctx = Context::create(stories(), {256, 64, 1});
  REQUIRE(ctx.ok());
  auto g = Generator::start(**ctx, stories()->tokenizer()->encode(prompt, true, false), go);
  INFO(g.status().to_string());
  REQUIRE(g.ok());
  Out o;
  for (;;) {
    auto s = (*g)->step();
    INFO(s.status().to_string());
    REQUIRE(s.ok());
    o.text += s->text;
    if (s->done) {
      o.finish = s->finish_reason;
      return o;
    }
  }
}

GenerateOptions greedy(int n) {
  GenerateOptions go;
  go.max_tokens = n;
  go.sampling.temperature = 0;
  return go;
}

}  // namespace

TEST_CASE("grammar generation: greedy output equals llama.cpp's", "[grammar]") {
  // llama.cpp (llama.node, temperature 0, top_k 1, n_predict 48) on the same prompt and grammar.
  GenerateOptions go = greedy(48);
  go.grammar = "root ::= \"- \" [a-z ]+ \"\\n\" (\"- \" [a-z ]+ \"\\n\")?";
  const Out o = run("Once upon a time", go);
  CHECK(o.text == "- morning is a big box with a big box of colors and animals in the sky and a big box of colors");
  CHECK(o.finish == "length");
}

TEST_CASE("grammar generation: a JSON schema gives JSON that ends where the grammar does", "[grammar]") {
  GenerateOptions go = greedy(64);
  auto parsed = parse_options_json(
      R"({"json_schema": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
      "age": {"type": "integer", "minimum": 0, "maximum": 150}}, "required": ["name", "age"]}})",
      go);
  REQUIRE(parsed.ok());
  const Out o = run("Once upon a time", *parsed);
  CHECK(o.finish == "stop");  // EOG, allowed only once the object is complete
  auto v = tmpl::parse_json(o.text);
  INFO(o.text);
  REQUIRE(v.ok());
  CHECK((*v)["name"].is_string());
  CHECK((*v)["name"].as_string().size() <= 12);
  REQUIRE((*v)["age"].is_int());
  CHECK((*v)["age"].as_int() >= 0);
  CHECK((*v)["age"].as_int() <= 150);
}

TEST_CASE("grammar generation: sampled output always matches (top-k and full vocabulary)", "[grammar]") {
  for (int top_k : {40, 0}) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      GenerateOptions go;
      go.max_tokens = 120;
      go.sampling.temperature = 1.0f;
      go.sampling.top_k = top_k;
      go.sampling.top_p = 1.0f;
      go.sampling.min_p = 0.0f;
      go.sampling.seed = seed;
      go.json_schema.text =
          R"({"type":"object","properties":{"n":{"type":"array","items":{"type":"integer"},"maxItems":3}},"required":["n"]})";
      const Out o = run("Once", go);
      INFO("top_k " << top_k << " seed " << seed << ": " << o.text);
      if (o.finish == "stop") {
        auto v = tmpl::parse_json(o.text);
        REQUIRE(v.ok());
        CHECK((*v)["n"].is_array());
      } else {
        CHECK(o.text.rfind("{", 0) == 0);  // cut by max_tokens: still a prefix of the grammar
      }
    }
  }
}

TEST_CASE("grammar generation: bad grammars and schemas fail at start", "[grammar]") {
  auto ctx = Context::create(stories(), {64, 64, 1});
  REQUIRE(ctx.ok());
  const auto toks = stories()->tokenizer()->encode("Hi", true, false);
  GenerateOptions go;
  go.grammar = "root ::= \"a\"\nitem ::= \"b\" (";
  auto g = Generator::start(**ctx, toks, go);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().code() == Code::invalid_argument);
  CHECK(g.status().message().find("grammar 2:") != std::string::npos);
  go = GenerateOptions{};
  go.json_schema.text = R"({"type": "object", "properties": {"a": {"type": "nope"}}})";
  g = Generator::start(**ctx, toks, go);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().message().find("/properties/a") != std::string::npos);
  go.grammar = test::kJsonGbnf;
  go.json_schema.text = "{}";
  g = Generator::start(**ctx, toks, go);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().message().find("cannot both") != std::string::npos);
  // The record's JSON round trip keeps both fields; json_schema may be an object or its text.
  GenerateOptions rt;
  rt.grammar = "root ::= \"x\"";
  rt.json_schema.text = "";
  auto back = parse_options_json(options_to_json(rt));
  REQUIRE(back.ok());
  CHECK(back->grammar == rt.grammar);
  auto obj = parse_options_json(R"({"json_schema": {"type": "string"}})");
  REQUIRE(obj.ok());
  CHECK(obj->json_schema.text == R"({"type": "string"})");
  CHECK(parse_options_json(R"({"grammar": 5})").status().message().find("grammar") != std::string::npos);
}
