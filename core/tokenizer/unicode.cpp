// Unicode helpers for the tokenizers: UTF-8, category flags, lowercase, NFD and GPT-2's byte
// alphabet, all answered from the generated range tables in unicode_data.cpp.
#include "core/tokenizer/unicode.h"

#include <algorithm>
#include <array>

#include "core/tokenizer/unicode_data.h"

namespace chord::unicode {
namespace {

uint16_t flags_slow(uint32_t cpt) {
  using data::FlagRange;
  const FlagRange* begin = data::kFlagRanges;
  const FlagRange* end = begin + data::kFlagRangesCount;
  // Last range whose start <= cpt (the first starts at 0).
  const FlagRange* it = std::upper_bound(begin, end, cpt, [](uint32_t c, const FlagRange& r) { return c < r.start; });
  return (it - 1)->flags;
}

struct AsciiFlags {
  std::array<uint16_t, 128> f{};
  AsciiFlags() {
    for (uint32_t c = 0; c < 128; ++c) f[c] = flags_slow(c);
  }
};

struct ByteAlphabet {
  std::array<uint32_t, 256> to_cpt{};
  std::array<int16_t, 324> from_cpt{};  // the alphabet lies in U+0000..U+0143
  std::array<std::array<char, 2>, 256> utf8{};
  std::array<uint8_t, 256> utf8_len{};
  ByteAlphabet() {
    from_cpt.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const uint32_t c = printable ? static_cast<uint32_t>(b) : next++;
      to_cpt[b] = c;
      from_cpt[c] = static_cast<int16_t>(b);
      std::string s;
      append_utf8(s, c);
      utf8_len[b] = static_cast<uint8_t>(s.size());
      for (size_t i = 0; i < s.size(); ++i) utf8[b][i] = s[i];
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

}  // namespace

uint16_t flags(uint32_t cpt) {
  static const AsciiFlags ascii;
  if (cpt < 128) return ascii.f[cpt];
  if (cpt > kMaxCodePoint) return kUndefined;
  return flags_slow(cpt);
}

size_t utf8_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

uint32_t decode_utf8(std::string_view s, size_t& pos) {
  const size_t n = s.size();
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto cont = [&](size_t i) { return i < n && (byte(i) & 0xC0) == 0x80; };
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && cont(pos + 1)) {
    const uint32_t c = (uint32_t(b0 & 0x1F) << 6) | (byte(pos + 1) & 0x3F);
    pos += 2;
    return c;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(pos + 1) && cont(pos + 2)) {
    const uint32_t c = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(byte(pos + 1) & 0x3F) << 6) | (byte(pos + 2) & 0x3F);
    pos += 3;
    return c;
  }
  if ((b0 & 0xF8) == 0xF0 && cont(pos + 1) && cont(pos + 2) && cont(pos + 3)) {
    const uint32_t c = (uint32_t(b0 & 0x07) << 18) | (uint32_t(byte(pos + 1) & 0x3F) << 12) |
                       (uint32_t(byte(pos + 2) & 0x3F) << 6) | (byte(pos + 3) & 0x3F);
    if (c <= kMaxCodePoint) {
      pos += 4;
      return c;
    }
  }
  pos += 1;
  return kReplacement;
}

std::vector<uint32_t> to_cpts(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(decode_utf8(s, pos));
  return out;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c > kMaxCodePoint) c = kReplacement;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string to_utf8(uint32_t cpt) {
  std::string s;
  append_utf8(s, cpt);
  return s;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t b0 = static_cast<uint8_t>(s[i]);
    size_t len;
    uint32_t c;
    if (b0 < 0x80) {
      i += 1;
      continue;
    }
    if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      c = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      c = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      c = b0 & 0x07;
    } else
      return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      c = (c << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kMin[len] || c > kMaxCodePoint || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

uint32_t to_lower(uint32_t cpt) {
  if (cpt < 128) return (cpt >= 'A' && cpt <= 'Z') ? cpt + 32 : cpt;
  using data::LowerRange;
  const LowerRange* begin = data::kLowerRanges;
  const LowerRange* end = begin + data::kLowerRangesCount;
  const LowerRange* it = std::upper_bound(begin, end, cpt, [](uint32_t c, const LowerRange& r) { return c < r.start; });
  if (it == begin) return cpt;
  const LowerRange& r = *(it - 1);
  const uint32_t off = cpt - r.start;
  if (off % r.stride != 0 || off / r.stride >= r.count) return cpt;
  return static_cast<uint32_t>(static_cast<int64_t>(cpt) + r.delta);
}

uint32_t nfd_first(uint32_t cpt) {
  if (cpt < 0xC0) return cpt;  // the first decomposable code point is U+00C0
  using data::NfdRange;
  const NfdRange* begin = data::kNfdRanges;
  const NfdRange* end = begin + data::kNfdRangesCount;
  const NfdRange* it = std::upper_bound(begin, end, cpt, [](uint32_t c, const NfdRange& r) { return c < r.first; });
  if (it == begin) return cpt;
  const NfdRange& r = *(it - 1);
  return cpt <= r.last ? r.nfd : cpt;
}

uint32_t byte_to_cpt(uint8_t b) { return alphabet().to_cpt[b]; }

int cpt_to_byte(uint32_t cpt) {
  const ByteAlphabet& a = alphabet();
  return cpt < a.from_cpt.size() ? a.from_cpt[cpt] : -1;
}

std::string_view byte_to_utf8(uint8_t b) {
  const ByteAlphabet& a = alphabet();
  return std::string_view(a.utf8[b].data(), a.utf8_len[b]);
}

}  // namespace chord::unicode
