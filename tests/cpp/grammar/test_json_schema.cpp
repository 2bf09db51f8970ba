// JSON Schema -> GBNF: each keyword llama.cpp supports, checked by which JSON texts the produced
// grammar accepts; rule shapes where llama.cpp's are known; errors with JSON pointers.
#include <catch2/catch.hpp>
#include <string>

#include "core/grammar/gbnf.h"
#include "core/grammar/json_schema.h"
#include "core/grammar/json_schema_rules.h"
#include "core/grammar/matcher.h"

using namespace chord;
using namespace chord::grammar;

namespace {

std::string convert(const std::string& schema) {
  auto g = json_schema_to_gbnf(schema);
  INFO(schema << " -> " << g.status().to_string());
  REQUIRE(g.ok());
  return g.value();
}

bool matches(const std::string& gbnf, const std::string& text) {
  auto g = parse_gbnf(gbnf);
  REQUIRE(g.ok());
  Matcher m(std::make_shared<const Grammar>(std::move(g.value())));
  Matcher::SetId s = m.initial();
  Utf8Decoder dec;
  for (char c : text) {
    const uint32_t cp = dec.feed(static_cast<uint8_t>(c));
    if (dec.invalid) return false;
    if (cp != Utf8Decoder::kNone) s = m.step(s, cp);
    if (s == Matcher::kDead) return false;
  }
  return m.can_end(s);
}

struct Case {
  const char* schema;
  std::vector<const char*> good, bad;
};

std::string error_of(const std::string& schema) {
  auto g = json_schema_to_gbnf(schema);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().code() == Code::invalid_argument);
  return g.status().message();
}

}  // namespace

TEST_CASE("json schema: keywords and the JSON they allow", "[grammar]") {
  const std::vector<Case> cases = {
      {R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name"]})",
       {R"({"name":"Bob"})", R"({"name": "Bob", "age": 42})", R"({ "name" : "x\u00e9\n", "age":-3 })"},
       {R"({"age":42})", R"({"name":"Bob","extra":1})", R"({"age":1,"name":"Bob"})", R"({"name":3})"}},
      {R"({"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"},"c":{"type":"number"}}})",
       {"{}", R"({"b":null})", R"({"a":true,"c":1.5e-3})", R"({"a":false,"b":null,"c":0})"},
       {R"({"c":1,"a":true})", R"({"a":1})", R"({"c":01})"}},
      {R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":true})",
       {R"({"a":1,"zz":[1,{"q":null}]})", R"({"x":"y"})", "{}"},
       {R"({"a":"s"})", R"({"a":1,"a":2})"}},
      {R"({"type":"object","additionalProperties":{"type":"integer"}})", {R"({"x":1,"y":2})", "{}"}, {R"({"x":"1"})"}},
      {R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})",
       {"[1,2]", "[1, 2, 3]"},
       {"[1]", "[1,2,3,4]", "[]", R"(["a","b"])"}},
      {R"({"type":"array","prefixItems":[{"type":"string"},{"type":"number"}]})",
       {R"(["a", 1])"},
       {R"([1, "a"])", R"(["a"])"}},
      {R"({"enum":["red","green",3,null]})", {R"("red")", "3", "null"}, {R"("blue")", "4"}},
      {R"({"const":{"k":[1,"x"]}})", {R"({"k":[1,"x"]})"}, {R"({"k": [1, "x"]})"}},
      {R"({"anyOf":[{"type":"integer"},{"type":"string","maxLength":2}]})", {"12", R"("ab")"}, {R"("abc")", "1.5"}},
      {R"({"oneOf":[{"type":"boolean"},{"type":"null"}]})", {"true", "null"}, {"1"}},
      {R"({"type":["string","null"]})", {R"("x")", "null"}, {"1"}},
      {R"({"type":"string","minLength":2,"maxLength":4})",
       {R"("ab")", R"("abcd")", R"("\"\\")"},
       {R"("a")", R"("abcde")"}},
      {R"({"type":"string","format":"date"})", {R"("2024-02-29")"}, {R"("2024-13-01")", R"("24-01-01")"}},
      {R"({"type":"string","format":"time"})", {R"("23:59:59Z")", R"("01:02:03.123+05:30")"}, {R"("24:00:00Z")"}},
      {R"({"type":"string","format":"date-time"})", {R"("2024-01-31T12:00:00Z")"}, {R"("2024-01-31 12:00:00Z")"}},
      {R"({"type":"string","format":"uuid"})", {R"("123e4567-e89b-12d3-a456-426614174000")"}, {R"("123e4567")"}},
      {R"({"type":"integer","minimum":-5,"maximum":150})",
       {"-5", "0", "7", "99", "150", "-1"},
       {"-6", "151", "007", "1000"}},
      {R"({"type":"integer","exclusiveMinimum":9})", {"10", "12345"}, {"9", "-1", "0"}},
      {R"({"type":"integer","maximum":-10})", {"-10", "-11", "-2000"}, {"-9", "0", "5"}},
      {R"({"type":"integer","minimum":123})", {"123", "124", "200", "999", "1000"}, {"122", "99", "12"}},
      {R"({"type":"string","pattern":"^[a-c]+-[0-9]{2,3}(x|yz)?$"})",
       {R"("ab-12")", R"("c-999yz")"},
       {R"("ab-1")", R"("d-12")"}},
      {R"({"$defs":{"pt":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
          "type":"object","properties":{"a":{"$ref":"#/$defs/pt"},"b":{"type":"array","items":{"$ref":"#/$defs/pt"}}},"required":["a","b"]})",
       {R"({"a":{"x":1},"b":[{"x":2},{"x":3}]})"},
       {R"({"a":{"y":1},"b":[]})"}},
      {R"({"definitions":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"anyOf":[{"$ref":"#/definitions/node"},{"type":"null"}]}},"required":["v","next"]}},
          "$ref":"#/definitions/node"})",
       {R"({"v":1,"next":{"v":2,"next":null}})"},
       {R"({"v":1})"}},
      {R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer"}}},{"properties":{"b":{"type":"string"}}}]})",
       {R"({"a":1,"b":"x"})"},
       {R"({"a":1})", "{}"}},
      {R"({"allOf":[{"enum":["a","b","c"]},{"enum":["b","c","d"]}]})", {R"("b")", R"("c")"}, {R"("a")", R"("d")"}},
      {"{}", {"{}", R"({"a":[1,{"b":null}]})"}, {"[]", "1"}},
      {R"({"description":"anything"})", {"[]", "1", R"("s")", "{}"}, {"x"}},
  };
  for (const Case& c : cases) {
    const std::string g = convert(c.schema);
    for (const char* t : c.good) {
      INFO(c.schema << "\n" << g << "\nshould accept " << t);
      CHECK(matches(g, t));
    }
    for (const char* t : c.bad) {
      INFO(c.schema << "\n" << g << "\nshould reject " << t);
      CHECK_FALSE(matches(g, t));
    }
  }
}

TEST_CASE("json schema: llama.cpp's rule shapes", "[grammar]") {
  // Integer ranges as llama.cpp's server printed them for {minimum: 0, maximum: 150}.
  CHECK(schema::build_min_max_int(0, 150) == R"([0-9] | ([1-8] [0-9] | [9] [0-9]) | "1" ([0-4] [0-9] | [5] "0"))");
  CHECK(convert(R"({"type":"integer","minimum":0,"maximum":150})")
            .find("root ::= ([0-9] | ([1-8] [0-9] | [9] [0-9]) | \"1\" ([0-4] [0-9] | [5] \"0\"))\n") !=
        std::string::npos);
  const std::string g = convert(R"({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]})");
  CHECK(g.find("root ::= \"{\" space name-kv space \"}\"\n") != std::string::npos);
  CHECK(g.find("name-kv ::= \"\\\"name\\\"\" space \":\" space string\n") != std::string::npos);
  CHECK(g.find("space ::= | \" \" | \"\\n\"{1,2} [ \\t]{0,20}\n") != std::string::npos);
  CHECK(json_object_gbnf().find("root ::= object\n") != std::string::npos);
  CHECK(matches(json_object_gbnf(), R"({"any": ["json", 1, true]})"));
  CHECK_FALSE(matches(json_object_gbnf(), "[1]"));
  // Property names that are not rule names, and keys excluded by code point (not byte).
  const std::string odd =
      convert(R"({"type":"object","properties":{"a b\"]-\u00e9":{"type":"integer"}},"additionalProperties":true})");
  CHECK(matches(odd, R"({"a b\"]-é": 1, "é": 2})"));
  CHECK_FALSE(matches(odd, R"({"a b\"]-é": "x"})"));
}

TEST_CASE("json schema: errors name where they are", "[grammar]") {
  CHECK(error_of(R"({"type":"object",)").find("invalid JSON") != std::string::npos);
  CHECK(error_of(R"({"properties":{"a":{"type":"strin"}}})").find("/properties/a: unrecognized schema") !=
        std::string::npos);
  CHECK(error_of(R"({"$ref":"#/$defs/missing"})").find("/$ref: cannot resolve $ref '#/$defs/missing'") !=
        std::string::npos);
  CHECK(error_of(R"({"$ref":"https://example.com/s.json"})").find("only local") != std::string::npos);
  CHECK(error_of(R"({"type":"string","pattern":"abc"})").find("/pattern: pattern must start") != std::string::npos);
  CHECK(error_of(R"({"type":"array","items":{"type":"integer"},"minItems":-1})").find("/minItems") !=
        std::string::npos);
  CHECK(
      error_of(R"({"type":"array","items":{"type":"integer"},"minItems":5000})").find("generated grammar is invalid") !=
      std::string::npos);
  CHECK(error_of(R"({"type":"integer","minimum":5,"maximum":1})").find("minimum is above maximum") !=
        std::string::npos);
  // NaN and Infinity (which the JSON reader accepts) are refused as counts and bounds, never cast
  // (a fuzz_json_schema find).
  CHECK(error_of(R"({"type":"integer","maximum":NaN})").find("/maximum: maximum must be a number") !=
        std::string::npos);
  CHECK(error_of(R"({"type":"integer","minimum":-Infinity})").find("/minimum") != std::string::npos);
  CHECK(error_of(R"({"type":"string","minLength":NaN})").find("/minLength") != std::string::npos);
  CHECK(error_of("true").find("unrecognized schema") != std::string::npos);
  CHECK(error_of(R"({"enum":[]})").find("/enum") != std::string::npos);
  // Recursive references terminate (the rule refers to itself).
  CHECK(convert(R"({"$defs":{"t":{"type":"array","items":{"$ref":"#/$defs/t"}}},"$ref":"#/$defs/t"})")
            .find("ref-defs-t") != std::string::npos);
}
