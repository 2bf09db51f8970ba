// Unicode helpers: category spot checks against known Unicode facts, lowercase and NFD samples,
// lenient UTF-8 decoding of malformed input, and the GPT-2 byte alphabet being a bijection.
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>

#include "core/tokenizer/unicode.h"

namespace u = chord::unicode;

TEST_CASE("unicode: category flags of sample code points", "[unicode]") {
  struct Case {
    uint32_t cpt;
    uint16_t category;
    bool ws;
  };
  const Case cases[] = {
      {'A', u::kLetter, false},         {'z', u::kLetter, false},      {'5', u::kNumber, false},
      {'!', u::kPunctuation, false},    {'_', u::kPunctuation, false}, {'$', u::kSymbol, false},
      {'~', u::kSymbol, false},         {'+', u::kSymbol, false},      {' ', u::kSeparator, true},
      {'\t', u::kControl, true},        {'\n', u::kControl, true},     {0x1C, u::kControl, false},  // not White_Space
      {0x7F, u::kControl, false},       {0x85, u::kControl, true},     {0xA0, u::kSeparator, true},
      {0xAD, u::kControl, false},  // soft hyphen: Cf
      {0xB2, u::kNumber, false},        {0xB5, u::kLetter, false},     {0xD7, u::kSymbol, false},
      {0xE9, u::kLetter, false},        {0x0301, u::kMark, false},     {0x0378, u::kUndefined, false},
      {0x0660, u::kNumber, false},      {0x0E01, u::kLetter, false},   {0x0E31, u::kMark, false},
      {0x1680, u::kSeparator, true},    {0x2003, u::kSeparator, true}, {0x200B, u::kControl, false},
      {0x2026, u::kPunctuation, false}, {0x2028, u::kSeparator, true}, {0x2029, u::kSeparator, true},
      {0x20AC, u::kSymbol, false},      {0x2167, u::kNumber, false},   {0x3000, u::kSeparator, true},
      {0x3002, u::kPunctuation, false}, {0x4E2D, u::kLetter, false},   {0xAC00, u::kLetter, false},
      {0xD800, u::kControl, false},     {0xE000, u::kControl, false},  {0xFF01, u::kPunctuation, false},
      {0xFFFD, u::kSymbol, false},      {0x1F600, u::kSymbol, false},  {0x1F999, u::kSymbol, false},
      {0x20000, u::kLetter, false},     {0xE0001, u::kControl, false}, {0x10FFFF, u::kUndefined, false},
  };
  for (const Case& c : cases) {
    INFO("U+" << std::hex << c.cpt);
    const uint16_t f = u::flags(c.cpt);
    CHECK((f & u::kCategoryMask) == c.category);
    CHECK(((f & u::kWhitespace) != 0) == c.ws);
  }
  CHECK(u::flags(0x110000) == u::kUndefined);
  CHECK(u::is_letter(0x00C0));
  CHECK_FALSE(u::is_letter('1'));
}

TEST_CASE("unicode: every code point has exactly one category", "[unicode]") {
  size_t bad = 0, ws = 0;
  for (uint32_t c = 0; c <= u::kMaxCodePoint; c += 1) {
    const uint16_t cat = u::flags(c) & u::kCategoryMask;
    if (cat == 0 || (cat & (cat - 1)) != 0) ++bad;
    if (u::is_whitespace(c)) ++ws;
  }
  CHECK(bad == 0);
  CHECK(ws == 25);  // PropList.txt White_Space count
}

TEST_CASE("unicode: simple lowercase", "[unicode]") {
  CHECK(u::to_lower('A') == 'a');
  CHECK(u::to_lower('a') == 'a');
  CHECK(u::to_lower('1') == '1');
  CHECK(u::to_lower(0xC4) == 0xE4);    // Ä
  CHECK(u::to_lower(0xD7) == 0xD7);    // × has no case
  CHECK(u::to_lower(0x100) == 0x101);  // Ā (a stride-2 run)
  CHECK(u::to_lower(0x101) == 0x101);
  CHECK(u::to_lower(0x130) == 'i');        // İ: simple mapping drops the dot
  CHECK(u::to_lower(0x3A3) == 0x3C3);      // Σ
  CHECK(u::to_lower(0x414) == 0x434);      // Д
  CHECK(u::to_lower(0x1E9E) == 0xDF);      // ẞ
  CHECK(u::to_lower(0x212A) == 'k');       // Kelvin sign
  CHECK(u::to_lower(0x10400) == 0x10428);  // Deseret
  CHECK(u::to_lower(0x4E2D) == 0x4E2D);
}

TEST_CASE("unicode: first code point of NFD", "[unicode]") {
  CHECK(u::nfd_first('e') == 'e');
  CHECK(u::nfd_first(0xE9) == 'e');       // é
  CHECK(u::nfd_first(0xC5) == 'A');       // Å
  CHECK(u::nfd_first(0x212B) == 'A');     // Angstrom sign
  CHECK(u::nfd_first(0x1E09) == 'c');     // ḉ (two marks)
  CHECK(u::nfd_first(0x439) == 0x438);    // й
  CHECK(u::nfd_first(0xAC00) == 0x1100);  // 가 -> leading jamo
  CHECK(u::nfd_first(0xD7A3) == 0x1112);  // last Hangul syllable
  CHECK(u::nfd_first(0x4E2D) == 0x4E2D);
  CHECK(u::nfd_first(0xC6) == 0xC6);  // Æ has no decomposition
}

TEST_CASE("unicode: UTF-8 round trip of every scalar value", "[unicode]") {
  size_t bad = 0;
  for (uint32_t c = 0; c <= u::kMaxCodePoint; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const std::string s = u::to_utf8(c);
    size_t pos = 0;
    if (u::decode_utf8(s, pos) != c || pos != s.size() || s.size() != u::utf8_len(uint8_t(s[0])) ||
        !u::is_valid_utf8(s))
      ++bad;
  }
  CHECK(bad == 0);
  CHECK(u::to_utf8(0x110000) == "\xEF\xBF\xBD");
}

TEST_CASE("unicode: malformed UTF-8 decodes to U+FFFD one byte at a time", "[unicode]") {
  auto cpts = [](const std::string& s) { return u::to_cpts(s); };
  using V = std::vector<uint32_t>;
  CHECK(cpts("\x80") == V{0xFFFD});
  CHECK(cpts("a\xE2\x82") == V{'a', 0xFFFD, 0xFFFD});  // truncated 3-byte sequence
  CHECK(cpts("\xE2\x82"
             "a") == V{0xFFFD, 0xFFFD, 'a'});
  CHECK(cpts("\xF8\x88\x80\x80\x80") == V{0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD});
  CHECK(cpts("\xF4\x90\x80\x80") == V{0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD});  // past U+10FFFF
  CHECK(cpts("\xC3") == V{0xFFFD});
  CHECK(cpts("\xC3\xA9") == V{0xE9});
  // Lenient like llama.cpp: overlong forms and surrogates decode to their values.
  CHECK(cpts("\xC0\xAF") == V{0x2F});
  CHECK(cpts("\xED\xA0\x80") == V{0xD800});
  CHECK_FALSE(u::is_valid_utf8("\xC0\xAF"));
  CHECK_FALSE(u::is_valid_utf8("\xED\xA0\x80"));
  CHECK_FALSE(u::is_valid_utf8("\xE2\x82"));
  CHECK(u::is_valid_utf8("h\xC3\xA9llo \xF0\x9F\xA6\x99"));

  // Pseudo-random byte soup: never reads out of bounds (ASan) and always advances 1..4 bytes.
  uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const int n = 1 + round % 13;
    for (int i = 0; i < n; ++i) {
      state = state * 1664525u + 1013904223u;
      s.push_back(static_cast<char>(state >> 24));
    }
    size_t pos = 0;
    while (pos < s.size()) {
      const size_t before = pos;
      const uint32_t c = u::decode_utf8(s, pos);
      REQUIRE(pos > before);
      REQUIRE(pos - before <= 4);
      REQUIRE(c <= u::kMaxCodePoint);
    }
  }
}

TEST_CASE("unicode: GPT-2 byte alphabet is a bijection", "[unicode]") {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const uint32_t c = u::byte_to_cpt(static_cast<uint8_t>(b));
    seen.insert(c);
    CHECK(u::cpt_to_byte(c) == b);
    CHECK(u::byte_to_utf8(static_cast<uint8_t>(b)) == u::to_utf8(c));
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    if (printable)
      CHECK(c == static_cast<uint32_t>(b));
    else
      CHECK(c >= 0x100);
  }
  CHECK(seen.size() == 256);
  CHECK(u::byte_to_cpt(' ') == 0x120);   // "Ġ"
  CHECK(u::byte_to_cpt('\n') == 0x10A);  // "Ċ"
  CHECK(u::byte_to_cpt(0) == 0x100);
  CHECK(u::byte_to_cpt(0xAD) == 0x143);
  CHECK(u::cpt_to_byte(0x144) == -1);
  CHECK(u::cpt_to_byte(0x20) == -1);  // a raw space is not in the alphabet
  CHECK(u::cpt_to_byte(0x4E2D) == -1);
}
