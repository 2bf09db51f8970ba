// StreamDecoder: token-at-a-time output is always valid UTF-8, adds up to decode(), holds back
// split characters from byte-fallback tokens, and follows decode()'s leading-space rule.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "tests/cpp/tokenizer/vocab_vectors.h"

using chord::StreamDecoder;
using chord::Token;
using chord::Tokenizer;
using chord::test::is_valid_utf8;

namespace {

std::shared_ptr<const Tokenizer> must_load(const std::string& path) {
  auto r = chord::test::load_tokenizer(path);
  INFO(path << ": " << r.status().to_string());
  REQUIRE(r.ok());
  return r.value();
}

// Feeds ids one at a time; every chunk must be valid UTF-8. Returns the chunks (flush last).
std::vector<std::string> stream(const std::shared_ptr<const Tokenizer>& tok, const std::vector<Token>& ids,
                                bool special = false) {
  StreamDecoder dec(tok, special);
  std::vector<std::string> chunks;
  for (Token id : ids) {
    chunks.push_back(dec.push(id));
    INFO("chunk after token " << id << ": '" << chunks.back() << "'");
    CHECK(is_valid_utf8(chunks.back()));
  }
  chunks.push_back(dec.flush());
  CHECK(is_valid_utf8(chunks.back()));
  return chunks;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x;
  return s;
}

}  // namespace

TEST_CASE("stream: byte-fallback characters of 2, 3 and 4 bytes", "[stream]") {
  auto tok = must_load("gguf/stories260K.gguf");
  // ö (2 bytes), ж (2), € is a token here but 日 / ✓ are not (3), 🦙 / 😁 (4): most of this goes
  // through <0xXX> tokens in stories260K's 512-token vocab.
  const std::string text =
      "Once \xC3\xB6 \xD0\xB6 \xE6\x97\xA5\xE2\x9C\x93 \xF0\x9F\xA6\x99\xF0\x9F\x98\x81 upon \xE2\x82\xAC!";
  REQUIRE(is_valid_utf8(text));
  for (bool add_special : {false, true}) {
    const auto ids = tok->encode(text, add_special, false);
    size_t byte_tokens = 0;
    for (Token id : ids) byte_tokens += tok->token_text(id).rfind("<0x", 0) == 0;
    CHECK(byte_tokens >= 2 + 2 + 6 + 8);
    const auto chunks = stream(tok, ids);
    CHECK(join(chunks) == tok->decode(ids, false));
    CHECK(join(chunks) == text);
    CHECK(chunks.back().empty());  // nothing was left over
    // Some chunks had to be empty: the first bytes of a split character were held back.
    size_t empty = 0;
    for (size_t i = 0; i + 1 < chunks.size(); ++i) empty += chunks[i].empty();
    CHECK(empty >= 1 + 1 + 2 + 2 + 3 + 3);
  }
}

TEST_CASE("stream: matches decode on llama-2 vocab with special rendering", "[stream]") {
  auto tok = must_load("gguf/llama-2-tiny-random.gguf");
  const std::string text = "  Hi \xF0\x9F\xA6\x99 \xE4\xBD\xA0\xE5\xA5\xBD\n\tthere \xE2\x9C\x85";
  for (bool special : {false, true}) {
    auto ids = tok->encode(text, true, false);
    ids.push_back(tok->eos());
    const auto chunks = stream(tok, ids, special);
    CHECK(join(chunks) == tok->decode(ids, special));
    CHECK(join(chunks) == (special ? "<s>" + text + "</s>" : text));
  }
}

TEST_CASE("stream: first-token space rule and BOS", "[stream]") {
  auto tok = must_load("gguf/stories260K.gguf");
  const Token once = tok->find("\xE2\x96\x81Once"), upon = tok->find("\xE2\x96\x81upon");
  REQUIRE(once >= 0);
  REQUIRE(upon >= 0);
  CHECK(join(stream(tok, {once, upon})) == "Once upon");
  CHECK(join(stream(tok, {1, once, upon})) == "Once upon");
  CHECK(join(stream(tok, {1, once, upon}, true)) == "<s>Once upon");
  CHECK(tok->decode({1, once, upon}, true) == "<s>Once upon");
  CHECK(join(stream(tok, {upon, 1, once})) == "upon Once");
  CHECK(tok->decode({upon, 1, once}, false) == "upon Once");
}

TEST_CASE("stream: incomplete and invalid bytes", "[stream]") {
  auto tok = must_load("gguf/stories260K.gguf");
  auto byte = [&](int b) {
    static const char* hex = "0123456789ABCDEF";
    const std::string name = std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
    const Token id = tok->find(name);
    REQUIRE(id >= 0);
    return id;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  {
    StreamDecoder d(tok);
    CHECK(d.push(byte(0xE2)).empty());
    CHECK(d.push(byte(0x82)).empty());
    CHECK(d.flush() == fffd);  // an unfinished € at the end
    CHECK(d.flush().empty());
  }
  {
    StreamDecoder d(tok);
    CHECK(d.push(byte(0xFF)) == fffd);  // can never start a character: replaced at once
    CHECK(d.push(byte(0x80)) == fffd);  // a stray continuation byte
    CHECK(d.push(byte(0xF0)).empty());
    CHECK(d.push(tok->find("a")) == fffd + "a");  // the held lead byte is broken by "a"
    CHECK(d.push(byte(0xED)).empty());
    CHECK(d.push(byte(0xA0)) == fffd + fffd);  // ED A0 would be a surrogate
    CHECK(d.flush().empty());
  }
}

TEST_CASE("stream: random byte streams never yield invalid UTF-8", "[stream]") {
  auto tok = must_load("gguf/stories260K.gguf");
  const std::vector<std::string> pieces = {"a",  " b",          "\xC3\xB6", "\xE6\x97\xA5", "\xF0\x9F\xA6\x99",
                                           "\n", "\xE2\x82\xAC"};
  uint32_t state = 777;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (int round = 0; round < 100; ++round) {
    std::vector<Token> ids;
    std::string text;
    const uint32_t len = 1 + next() % 30;
    for (uint32_t i = 0; i < len; ++i) {
      if (round % 2) {
        static const char* hex = "0123456789ABCDEF";
        const uint32_t b = next() & 0xFF;
        ids.push_back(tok->find(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">"));
      } else {
        text += pieces[next() % pieces.size()];
      }
    }
    if (round % 2 == 0) ids = tok->encode(text, true, false);
    INFO("round " << round);
    const auto chunks = stream(tok, ids);  // checks every chunk is valid UTF-8
    if (round % 2 == 0) CHECK(join(chunks) == tok->decode(ids, false));
  }
}
