// Pre-tokenizers against reference splits (data/pretok_vectors.txt, written by
// scripts/gen_pretok_vectors.py from Python regex replays of llama.cpp's regex lists), plus the
// name table, invalid UTF-8 and long whitespace runs.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"
#include "tests/cpp/tokenizer/vocab_vectors.h"

namespace pt = chord::pretok;

namespace {

std::vector<std::string> split(std::string_view pre, std::string_view text) {
  auto info = pt::find_pre_tokenizer(pre);
  REQUIRE(info.has_value());
  std::string storage;
  std::vector<std::string_view> words;
  pt::split_words(info->kind, text, storage, words);
  return {words.begin(), words.end()};
}

std::string from_hex(const std::string& h) {
  std::string s;
  for (size_t i = 0; i + 1 < h.size(); i += 2) s += static_cast<char>(std::strtol(h.substr(i, 2).c_str(), nullptr, 16));
  return s;
}

}  // namespace

TEST_CASE("pretokenize: reference splits of every implemented regex list", "[pretok]") {
  std::string data;
  REQUIRE(chord::test::read_text_file(std::string(CHORD_SOURCE_DIR) + "/tests/cpp/tokenizer/data/pretok_vectors.txt",
                                      data));
  std::string text;
  size_t n_texts = 0, n_checked = 0, failed = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    const std::string line = data.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("T ", 0) == 0) {
      text = from_hex(line.substr(2));
      ++n_texts;
      continue;
    }
    const size_t sp = line.find(' ');
    const std::string name = line.substr(0, sp);
    std::vector<size_t> expected;
    for (size_t p = sp + 1; sp != std::string::npos && p < line.size();) {
      char* q = nullptr;
      expected.push_back(std::strtoul(line.c_str() + p, &q, 10));
      p = static_cast<size_t>(q - line.c_str()) + 1;
    }
    std::vector<size_t> got;
    for (const auto& w : split(name, text)) got.push_back(w.size());
    ++n_checked;
    if (got != expected) {
      ++failed;
      FAIL_CHECK(name << " on '" << text << "'");
    }
  }
  CHECK(n_texts > 100);
  CHECK(n_checked == n_texts * 12);
  CHECK(failed == 0);
}

TEST_CASE("pretokenize: names", "[pretok]") {
  for (const char* n : {"llama-bpe", "llama3", "falcon3", "pixtral"}) {
    auto p = pt::find_pre_tokenizer(n);
    REQUIRE(p);
    CHECK(p->kind == pt::Kind::llama3);
    CHECK(p->ignore_merges);
    CHECK(p->add_bos);
  }
  CHECK(pt::find_pre_tokenizer("dbrx")->kind == pt::Kind::llama3);
  CHECK_FALSE(pt::find_pre_tokenizer("dbrx")->ignore_merges);
  CHECK(pt::find_pre_tokenizer("qwen2")->kind == pt::Kind::qwen2);
  CHECK_FALSE(pt::find_pre_tokenizer("qwen2")->clean_spaces);
  CHECK(pt::find_pre_tokenizer("smollm")->kind == pt::Kind::starcoder);
  CHECK(pt::find_pre_tokenizer("olmo")->kind == pt::Kind::gpt2);
  CHECK(pt::find_pre_tokenizer("")->kind == pt::Kind::default_);
  CHECK(pt::find_pre_tokenizer("chatglm-bpe")->no_bos);
  CHECK_FALSE(pt::find_pre_tokenizer("no-such-pre"));
}

TEST_CASE("pretokenize: invalid UTF-8 and long runs", "[pretok]") {
  // Bad bytes become U+FFFD, as llama.cpp rebuilds words from decoded code points.
  const auto w = split("gpt-2",
                       "ab\xFF"
                       "cd \xC3");
  CHECK(w == std::vector<std::string>{"ab", "\xEF\xBF\xBD", "cd", " \xEF\xBF\xBD"});
  CHECK(split("llama-bpe", "").empty());
  // A long whitespace run that does not end the text must stay linear for \s+$ (DeepSeek LLM).
  const std::string spaces(200000, ' ');
  const auto ds = split("deepseek-llm", spaces + "x");
  REQUIRE(ds.size() == 2);
  CHECK(ds[0] == spaces.substr(1));
  CHECK(ds[1] == " x");
  const auto g = split("gpt-2", spaces + "x");
  REQUIRE(g.size() == 2);
  CHECK(g[1] == " x");
  CHECK(split("deepseek-llm", spaces).size() == 1);
}

TEST_CASE("pretokenize: words always cover the text", "[pretok]") {
  const char* names[] = {"default",        "gpt-2",       "llama-bpe", "qwen2",     "seed-coder", "deepseek-llm",
                         "deepseek-coder", "deepseek-v3", "falcon",    "starcoder", "poro-chat",  "viking"};
  // Byte soup biased to ASCII, with valid multi-byte characters and stray bytes mixed in.
  const char* pieces[] = {"a",
                          "Z",
                          "7",
                          " ",
                          "  ",
                          "\n",
                          "\r\n",
                          "\t",
                          "'s",
                          "'LL",
                          ".",
                          "~",
                          "$",
                          "\xC3\xA9",
                          "\xE4\xB8\xAD",
                          "\xF0\x9F\xA6\x99",
                          "\xE3\x80\x80",
                          "\xC2\xA0",
                          "\xD9\xA3",
                          "\xCC\x81",
                          "\xFF",
                          "\xC3",
                          "\xE2\x82",
                          "\x80",
                          "\xED\xA0\x80"};
  uint32_t state = 7;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int n = round % 40;
    for (int i = 0; i < n; ++i) {
      state = state * 1664525u + 1013904223u;
      text += pieces[(state >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
    }
    std::string normal;  // what llama.cpp tokenizes: the text re-encoded from decoded code points
    for (uint32_t c : chord::unicode::to_cpts(text)) chord::unicode::append_utf8(normal, c);
    for (const char* name : names) {
      std::string joined;
      for (const auto& w : split(name, text)) {
        CHECK_FALSE(w.empty());
        joined += w;
      }
      CHECK(joined == normal);
    }
  }
}
