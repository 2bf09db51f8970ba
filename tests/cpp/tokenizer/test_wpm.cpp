// WordPiece against llama.cpp's test vectors for ggml-vocab-bert-bge.gguf (add_special = false,
// parse_special = false) plus [CLS]/[SEP] handling, accents, CJK and unknown words.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "tests/cpp/tokenizer/vocab_vectors.h"

using chord::Token;

TEST_CASE("wpm: bert-bge test vectors", "[wpm]") {
  auto made = chord::test::load_tokenizer("vocab/ggml-vocab-bert-bge.gguf");
  INFO(made.status().to_string());
  REQUIRE(made.ok());
  const chord::Tokenizer& tok = **made;
  CHECK(tok.model() == "bert");
  std::string err;
  const auto cases = chord::test::load_vocab_vectors("vocab/ggml-vocab-bert-bge.gguf", err);
  INFO(err);
  REQUIRE_FALSE(cases.empty());
  size_t failed = 0;
  for (const auto& c : cases) {
    const auto got = tok.encode(c.text, false, false);
    if (got != c.ids) {
      ++failed;
      std::string g, e;
      for (Token t : got) g += std::to_string(t) + " ";
      for (Token t : c.ids) e += std::to_string(t) + " ";
      FAIL_CHECK("text '" << c.text << "'\n got:      " << g << "\n expected: " << e);
    }
  }
  CHECK(failed == 0);

  SECTION("special tokens and normalisation") {
    const Token cls = tok.find("[CLS]"), sep = tok.find("[SEP]"), unk = tok.find("[UNK]");
    REQUIRE(cls == 101);
    REQUIRE(sep == 102);
    REQUIRE(unk == 100);
    const auto hello = tok.encode("Hello", false, false);
    CHECK(tok.encode("Hello", true, false) == std::vector<Token>{cls, hello[0], sep});
    // Accents go (first code point of NFD) and case folds: "Héllo" == "hello".
    CHECK(tok.encode("H\xC3\xA9LLO", false, false) == hello);
    CHECK(tok.decode(hello, false) == " hello");
    // Punctuation and CJK ideographs are words of their own.
    const auto punct = tok.encode("a,b", false, false);
    REQUIRE(punct.size() == 3);
    CHECK(tok.token_to_piece(punct[1], false) == " ,");
    CHECK(tok.encode("\xE4\xB8\xAD\xE6\x96\x87", false, false).size() == 2);
    // A word with a character the vocabulary lacks becomes [UNK] as a whole.
    CHECK(tok.encode("ab\xF0\x9F\xA6\x99"
                     "cd",
                     false, false) == std::vector<Token>{unk});
    CHECK(tok.encode("[CLS] x", false, true).front() == cls);
  }
}
