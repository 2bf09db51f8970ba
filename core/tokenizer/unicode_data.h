// Layout of the generated Unicode range tables (core/tokenizer/unicode_data.cpp, written by
// scripts/gen_unicode_tables.py). Only unicode.cpp reads them.
#pragma once
#include <cstddef>
#include <cstdint>

namespace chord::unicode::data {

struct FlagRange {
  uint32_t start;  // first code point; the range ends where the next one starts
  uint16_t flags;  // unicode::kLetter etc., plus kWhitespace
};

struct LowerRange {
  uint32_t start;   // first code point of the run
  uint16_t count;   // code points in the run
  uint16_t stride;  // distance between them (1 or 2)
  int32_t delta;    // lowercase = code point + delta
};

struct NfdRange {
  uint32_t first, last;  // inclusive code point range
  uint32_t nfd;          // first code point of their canonical decomposition
};

extern const FlagRange kFlagRanges[];
extern const size_t kFlagRangesCount;
extern const LowerRange kLowerRanges[];
extern const size_t kLowerRangesCount;
extern const NfdRange kNfdRanges[];
extern const size_t kNfdRangesCount;

}  // namespace chord::unicode::data
