// GBNF parser and matcher: llama.cpp's syntax (repetitions, sets, escapes, comments), its
// rejections with line:col positions, and which strings a grammar accepts.
#include <catch2/catch.hpp>
#include <string>

#include "core/grammar/gbnf.h"
#include "core/grammar/matcher.h"
#include "tests/cpp/grammar/grammars.h"

using namespace chord;
using namespace chord::grammar;

namespace {

// Does the grammar accept the whole string (bytes fed as one token would be)?
bool accepts(const std::string& gbnf, const std::string& text) {
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
  REQUIRE(m.error().ok());
  return dec.n_remain == 0 && m.can_end(s);
}

std::string error_of(const std::string& gbnf) {
  auto g = parse_gbnf(gbnf);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().code() == Code::invalid_argument);
  return g.status().message();
}

}  // namespace

TEST_CASE("gbnf: literals, alternatives, groups and repetitions", "[grammar]") {
  const std::string g = "root ::= \"a\" (\"b\" | \"c\")* \"d\"? [x-z]{2,3}\n";
  CHECK(accepts(g, "axx"));
  CHECK(accepts(g, "abcbdxyz"));
  CHECK_FALSE(accepts(g, "ax"));
  CHECK_FALSE(accepts(g, "axxxx"));
  CHECK_FALSE(accepts(g, "adbxx"));
  CHECK(accepts("root ::= \"x\"{3}", "xxx"));
  CHECK_FALSE(accepts("root ::= \"x\"{3}", "xx"));
  CHECK(accepts("root ::= \"x\"{2,}", "xxxxxx"));
  CHECK_FALSE(accepts("root ::= \"x\"{2,}", "x"));
  CHECK(accepts("root ::= \"x\"{0,2} \"y\"", "y"));
  CHECK(accepts("root ::= (\"ab\"+ | \"c\")? \"!\"", "ababab!"));
  CHECK(accepts("root ::= (\"ab\"+ | \"c\")? \"!\"", "!"));
}

TEST_CASE("gbnf: char sets, negation, any char, escapes and UTF-8", "[grammar]") {
  CHECK(accepts("root ::= [^a-c]+", "xyz\xE2\x82\xAC"));
  CHECK_FALSE(accepts("root ::= [^a-c]+", "xbz"));
  CHECK(accepts("root ::= . . .", "a\xC3\xA9z"));
  CHECK_FALSE(accepts("root ::= . . .", "ab"));
  CHECK(accepts("root ::= \"\\x41\\u00e9\\U0001F600\\t\\n\\r\\\\\\\"\"", "A\xC3\xA9\xF0\x9F\x98\x80\t\n\r\\\""));
  CHECK(accepts("root ::= [\\[\\]\\-]+", "[-]"));
  CHECK(accepts("root ::= [a-]+", "a-a"));
  CHECK(accepts("root ::= \"\xE2\x82\xAC\" [\xCE\xB1-\xCF\x89]", "\xE2\x82\xAC\xCE\xBB"));
  CHECK_FALSE(accepts("root ::= [\xCE\xB1-\xCF\x89]", "a"));
}

TEST_CASE("gbnf: comments, line continuations inside groups, rule references", "[grammar]") {
  const std::string g =
      "# leading comment\nroot ::= greeting \" \" name # trailing\n"
      "greeting ::= (\n  \"hi\" |\n  \"hello\"\n)\nname ::= [A-Z] [a-z]*\n";
  CHECK(accepts(g, "hello Bob"));
  CHECK(accepts(g, "hi X"));
  CHECK_FALSE(accepts(g, "hey Bob"));
  CHECK(accepts("root ::= a\na ::= \"x\" |\n  \"y\"\n", "y"));
}

TEST_CASE("gbnf: the JSON, arithmetic and list grammars", "[grammar]") {
  CHECK(accepts(test::kJsonGbnf, "{\"a\": [1, 2.5e3, true, null, {\"b\": \"c\\u00e9\\n\"}], \"x\": -0}"));
  CHECK(accepts(test::kJsonGbnf, "{}"));
  CHECK_FALSE(accepts(test::kJsonGbnf, "[1]"));
  CHECK_FALSE(accepts(test::kJsonGbnf, "{\"a\" 1}"));
  CHECK_FALSE(accepts(test::kJsonGbnf, "{\"a\": 01x}"));
  CHECK(accepts(test::kArithmeticGbnf, "1+2=3\n(a*b)-c = x1\n"));
  CHECK_FALSE(accepts(test::kArithmeticGbnf, "1+=3\n"));
  CHECK(accepts(test::kListGbnf, "- milk\n- eggs \xE2\x82\xAC\n"));
  CHECK_FALSE(accepts(test::kListGbnf, "- \n"));
}

TEST_CASE("gbnf: invalid grammars are invalid_argument naming line:col", "[grammar]") {
  CHECK(error_of("root ::= foo\n").find("1:10: undefined rule 'foo'") != std::string::npos);
  CHECK(error_of("start ::= \"a\"\n").find("no 'root' rule") != std::string::npos);
  CHECK(error_of("root ::= \"a\"\nexpr ::= expr \"+\" \"1\" | \"1\"\n").find("2:1: left recursion in rule 'expr'") !=
        std::string::npos);
  CHECK(error_of("root ::= a\na ::= b? a \"x\"\nb ::= \"y\"\n").find("left recursion") != std::string::npos);
  CHECK(error_of("root ::= \"\\q\"").find("1:11: unknown escape") != std::string::npos);
  CHECK(error_of("root ::= (\"a\"\n").find("expecting ')'") == std::string::npos);  // end of input
  CHECK(error_of("root ::= (\"a\"\n").find("unclosed '('") != std::string::npos);
  CHECK(error_of("root = \"a\"").find("1:6: expecting ::=") != std::string::npos);
  CHECK(error_of("root ::= \"abc").find("unexpected end of input") != std::string::npos);
  CHECK(error_of("root ::= [abc").find("unexpected end of input") != std::string::npos);
  CHECK(error_of("root ::= * \"a\"").find("1:10: expecting an item") != std::string::npos);
  CHECK(error_of("root ::= \"a\"{2001}").find("repetitions") != std::string::npos);
  CHECK(error_of("root ::= \"a\"{3,2}").find("maximum below") != std::string::npos);
  CHECK(error_of("root ::= \"a\"{,2}").find("expecting an integer") != std::string::npos);
  CHECK(error_of("root ::= \"\\x4\"").find("hex digits") != std::string::npos);
  CHECK(error_of("root ::= \"a\" )").find("1:14: expecting newline or end") != std::string::npos);
  CHECK(error_of("root ::= <[12]>").find("not supported") != std::string::npos);
  CHECK(error_of("").find("no rules") != std::string::npos);
  CHECK(error_of("root ::= \"a\"\n| \"b\"\n").find("2:1: expecting a name") != std::string::npos);
  CHECK(error_of("root ::= ((\"a\"{1,40}){1,40}){1,40}").find("exceed") != std::string::npos);
  // A maximum above the limit means "no maximum" in llama.cpp.
  CHECK(accepts("root ::= \"a\"{1,5000}", std::string(3000, 'a')));
}

TEST_CASE("gbnf: partial UTF-8 across tokens and llama.cpp's lenient decoding", "[grammar]") {
  auto g = parse_gbnf("root ::= \"\xE2\x82\xAC\" | \"a\"");
  REQUIRE(g.ok());
  Matcher m(std::make_shared<const Grammar>(std::move(g.value())));
  const Matcher::SetId s0 = m.initial();
  Utf8Decoder d1;
  CHECK(d1.feed(0xE2) == Utf8Decoder::kNone);
  CHECK(m.token_ok(s0, d1.partial()));  // "\xE2" may become the euro sign
  Utf8Decoder d2;
  d2.feed(0xC3);  // a 2-byte sequence: U+00C0..U+00FF
  CHECK_FALSE(m.token_ok(s0, d2.partial()));
  Utf8Decoder d3(d1.partial());
  CHECK(d3.feed(0x82) == Utf8Decoder::kNone);
  CHECK(d3.feed(0xAC) == 0x20AC);
  Utf8Decoder d4(d1.partial());
  d4.feed('A');  // not a continuation byte: invalid
  CHECK(d4.invalid);
  Utf8Decoder d5;
  d5.feed(0x80);  // stray continuation byte
  CHECK(d5.invalid);
}
