// Unicode helpers for the tokenizers: lenient UTF-8 decoding (as llama.cpp does it), code point
// category flags grouped like llama.cpp's \p{..} classes, simple lowercase, first code point of NFD,
// and GPT-2's byte <-> code point alphabet for byte-level BPE.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chord::unicode {

// Category flags: exactly one of the category bits per code point, plus helper bits.
enum : uint16_t {
  kUndefined = 0x0001,    // Cn (unassigned)
  kNumber = 0x0002,       // \p{N}
  kLetter = 0x0004,       // \p{L}
  kSeparator = 0x0008,    // \p{Z}
  kMark = 0x0010,         // \p{M}
  kPunctuation = 0x0020,  // \p{P}
  kSymbol = 0x0040,       // \p{S}
  kControl = 0x0080,      // \p{C} except Cn: Cc, Cf, Co, Cs
  kCategoryMask = 0x00FF,
  kWhitespace = 0x0100,  // White_Space property (\s in Unicode-aware regex engines)
};

inline constexpr uint32_t kReplacement = 0xFFFD;
inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// Flags of a code point; code points past U+10FFFF are kUndefined.
uint16_t flags(uint32_t cpt);
inline bool is_letter(uint32_t c) { return flags(c) & kLetter; }
inline bool is_number(uint32_t c) { return flags(c) & kNumber; }
inline bool is_punctuation(uint32_t c) { return flags(c) & kPunctuation; }
inline bool is_symbol(uint32_t c) { return flags(c) & kSymbol; }
inline bool is_mark(uint32_t c) { return flags(c) & kMark; }
inline bool is_control(uint32_t c) { return flags(c) & kControl; }
inline bool is_whitespace(uint32_t c) { return flags(c) & kWhitespace; }

// Byte length of a UTF-8 sequence from its lead byte's top four bits (1 for stray continuation
// bytes), as llama.cpp's unicode_len_utf8.
size_t utf8_len(uint8_t lead);

// Decodes the code point at s[pos] and advances pos. Lenient like llama.cpp: a bad lead byte, a
// missing continuation byte or a value past U+10FFFF gives U+FFFD and advances one byte; overlong
// forms and surrogates are accepted as decoded. Requires pos < s.size().
uint32_t decode_utf8(std::string_view s, size_t& pos);
std::vector<uint32_t> to_cpts(std::string_view s);
// Appends the UTF-8 form of cpt (U+FFFD for values past U+10FFFF).
void append_utf8(std::string& out, uint32_t cpt);
std::string to_utf8(uint32_t cpt);
// True if s is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Simple (one-to-one) lowercase mapping; the code point itself when it has none.
uint32_t to_lower(uint32_t cpt);
// First code point of the canonical decomposition (llama.cpp's per-code-point "NFD", which drops
// the combining marks of precomposed letters: U+00E9 -> U+0065).
uint32_t nfd_first(uint32_t cpt);

// GPT-2 byte-level alphabet: every byte has a printable code point (printable Latin-1 bytes map to
// themselves, the other 68 bytes to U+0100.. in byte order).
uint32_t byte_to_cpt(uint8_t b);
// The byte a code point of that alphabet stands for, -1 if it is not in the alphabet.
int cpt_to_byte(uint32_t cpt);
// UTF-8 of byte_to_cpt(b) (one or two bytes), from a static table.
std::string_view byte_to_utf8(uint8_t b);

}  // namespace chord::unicode
