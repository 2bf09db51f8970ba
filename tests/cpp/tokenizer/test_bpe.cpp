// Byte-level BPE against llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out,
// compared as tests/test-tokenizer-0.cpp does: add_special = false, parse_special = false), the
// Llama-3 vocabulary built from bpe-llama3.2, detokenization round trips and special tokens.
#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/cpp/tokenizer/llama3_vocab.h"
#include "tests/cpp/tokenizer/vocab_vectors.h"

namespace {

using chord::Token;
using chord::Tokenizer;

std::string pieces(const Tokenizer& tok, const std::vector<Token>& ids) {
  std::string s;
  for (Token id : ids) s += tok.token_to_piece(id, false);
  return s;
}

// Every vector of `gguf` must tokenize exactly; the expected ids must detokenize back to the text
// when it is valid UTF-8, and so must our own ids.
void check_vectors(const Tokenizer& tok, const std::string& gguf) {
  std::string err;
  const auto cases = chord::test::load_vocab_vectors(gguf, err);
  INFO(err);
  REQUIRE_FALSE(cases.empty());
  size_t failed = 0;
  for (const auto& c : cases) {
    const std::vector<Token> got = tok.encode(c.text, false, false);
    if (got != c.ids) {
      ++failed;
      std::string g, e;
      for (Token t : got) g += std::to_string(t) + " ";
      for (Token t : c.ids) e += std::to_string(t) + " ";
      FAIL_CHECK(gguf << ": text '" << c.text << "'\n got:      " << g << "\n expected: " << e);
    }
    if (chord::test::is_valid_utf8(c.text)) {
      CHECK(pieces(tok, c.ids) == c.text);
      CHECK(pieces(tok, got) == c.text);
    }
  }
  CHECK(failed == 0);
}

std::shared_ptr<const Tokenizer> load(const std::string& path) {
  auto tok = chord::test::load_tokenizer(path);
  INFO(path << ": " << tok.status().to_string());
  REQUIRE(tok.ok());
  return *tok;
}

}  // namespace

TEST_CASE("bpe: llama.cpp vocab test vectors", "[bpe]") {
  struct Vocab {
    const char* file;
    const char* pre;
  };
  const Vocab vocabs[] = {
      {"vocab/ggml-vocab-gpt-2.gguf", "gpt-2"},
      {"vocab/ggml-vocab-deepseek-llm.gguf", "deepseek-llm"},
      {"vocab/ggml-vocab-deepseek-coder.gguf", "deepseek-coder"},
      {"vocab/ggml-vocab-falcon.gguf", "falcon"},
      {"vocab/ggml-vocab-mpt.gguf", "mpt"},
      {"vocab/ggml-vocab-refact.gguf", "refact"},
      {"vocab/ggml-vocab-starcoder.gguf", "starcoder"},
  };
  for (const Vocab& v : vocabs) {
    SECTION(v.file) {
      auto tok = load(v.file);
      CHECK(tok->model() == "gpt2");
      CHECK(tok->pre() == v.pre);
      check_vectors(*tok, v.file);
    }
  }
}

// Built once per process (a few seconds under sanitizers): Catch2 re-enters a test per SECTION.
std::shared_ptr<const Tokenizer> llama3_tokenizer() {
  static std::shared_ptr<const Tokenizer> tok;
  if (tok) return tok;
  auto bytes = chord::test::build_llama3_vocab_gguf();
  INFO(bytes.status().to_string());
  REQUIRE(bytes.ok());
  auto file = chord::gguf::File::parse(std::span<const uint8_t>(bytes->data(), bytes->size()));
  REQUIRE(file.ok());
  auto made = Tokenizer::from_gguf(*file);
  INFO(made.status().to_string());
  REQUIRE(made.ok());
  tok = *made;
  return tok;
}

TEST_CASE("bpe: Llama 3 vocabulary built from bpe-llama3.2", "[bpe][llama3]") {
  const auto ptr = llama3_tokenizer();
  const Tokenizer& tok = *ptr;
  REQUIRE(tok.vocab_size() == chord::test::kLlama3Vocab);
  CHECK(tok.pre() == "llama-bpe");

  SECTION("test vectors") { check_vectors(tok, "vocab/ggml-vocab-llama-bpe.gguf"); }
  SECTION("special tokens") {
    CHECK(tok.bos() == 128000);
    CHECK(tok.eos() == 128001);
    CHECK(tok.add_bos());
    CHECK(tok.is_eog(128001));
    CHECK(tok.is_eog(128008));
    CHECK(tok.is_eog(128009));
    CHECK_FALSE(tok.is_eog(128006));
    CHECK(tok.find("<|start_header_id|>") == 128006);
    CHECK(tok.find("<|reserved_special_token_247|>") == 128255);
    CHECK(tok.encode("Hello", true, false) == std::vector<Token>{128000, 9906});
    const std::string chat = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
    CHECK(tok.encode(chat, false, true) == std::vector<Token>{128006, 882, 128007, 271, 13347, 128009});
    // Without parse_special the markers are plain text.
    const auto plain = tok.encode(chat, false, false);
    CHECK(plain.size() > 6);
    CHECK(pieces(tok, plain) == chat);
    CHECK(tok.token_to_piece(128009, false).empty());
    CHECK(tok.token_to_piece(128009, true) == "<|eot_id|>");
  }
  SECTION("whole-word tokens skip the merges (ignore_merges)") {
    // " grabbed" is one token; merging from bytes would also reach it, so check a long word too.
    const auto ids = tok.encode(" supercalifragilisticexpialidocious", false, false);
    CHECK(pieces(tok, ids) == " supercalifragilisticexpialidocious");
    CHECK(tok.encode(" Hello", false, false) == std::vector<Token>{22691});
  }
}

TEST_CASE("bpe: GPT-2 special tokens, bytes and round trips", "[bpe]") {
  auto tok = load("vocab/ggml-vocab-gpt-2.gguf");
  const Token eot = tok->find("<|endoftext|>");
  REQUIRE(eot == 50256);
  CHECK(tok->encode("a<|endoftext|>b", false, true) == std::vector<Token>{64, 50256, 65});
  CHECK(tok->encode("a<|endoftext|>b", false, false).size() > 3);
  CHECK(tok->is_eog(eot));

  // Every byte value survives encode -> pieces (invalid UTF-8 becomes U+FFFD first, as llama.cpp).
  for (int b = 0; b < 256; ++b) {
    const std::string s(1, static_cast<char>(b));
    const auto ids = tok->encode(s, false, false);
    REQUIRE_FALSE(ids.empty());
    if (b < 0x80)
      CHECK(pieces(*tok, ids) == s);
    else
      CHECK(pieces(*tok, ids) == "\xEF\xBF\xBD");
  }
  const std::string mixed =
      "caf\xC3\xA9 \xF0\x9F\xA6\x99 na\xC3\xAFve  \t\n\n  x \xE4\xB8\xAD\xE6\x96\x87 1234567 it's";
  CHECK(pieces(*tok, tok->encode(mixed, false, false)) == mixed);
  CHECK(tok->encode("", true, false).empty());  // GPT-2 adds no BOS
  CHECK(tok->token_to_piece(-1, true).empty());
  CHECK(tok->token_to_piece(tok->vocab_size(), true).empty());
}

TEST_CASE("bpe: bad vocabularies are refused", "[bpe]") {
  auto bytes = chord::gguf::read_file(chord::test::model_path("vocab/ggml-vocab-gpt-2.gguf"));
  REQUIRE(bytes.ok());
  auto file = chord::gguf::File::parse(std::span<const uint8_t>(bytes->data(), bytes->size()));
  REQUIRE(file.ok());
  auto rewrite = [&](const char* drop, const char* pre) {
    chord::gguf::Writer w;
    for (const auto& [k, v] : file->metadata()) {
      if (k == drop) continue;
      if (pre && k == "tokenizer.ggml.pre") continue;
      w.set_value(k, v);
    }
    if (pre) w.set_string("tokenizer.ggml.pre", pre);
    return w.finish();
  };
  {
    const auto b = rewrite("tokenizer.ggml.merges", nullptr);
    auto f = chord::gguf::File::parse(std::span<const uint8_t>(b.data(), b.size()));
    REQUIRE(f.ok());
    auto t = Tokenizer::from_gguf(*f);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == chord::Code::bad_gguf);
  }
  {
    const auto b = rewrite("", "no-such-pre");
    auto f = chord::gguf::File::parse(std::span<const uint8_t>(b.data(), b.size()));
    REQUIRE(f.ok());
    auto t = Tokenizer::from_gguf(*f);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == chord::Code::unsupported);
  }
}
