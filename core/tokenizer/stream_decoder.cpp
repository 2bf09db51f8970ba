// StreamDecoder: token-at-a-time detokenizing that only ever hands out whole, valid UTF-8
// characters, and strips SPM's prefix space from the first piece exactly as Tokenizer::decode does.
#include <cstdint>
#include <string>

#include "core/tokenizer/tokenizer.h"

namespace chord {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the UTF-8 sequence `lead` starts (2..4), 1 for ASCII, 0 if it cannot start one.
size_t seq_len(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Valid range of the byte after `lead` (Unicode Table 3-7: no overlongs, surrogates, > U+10FFFF).
bool second_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0:
      return b >= 0xA0 && b <= 0xBF;
    case 0xED:
      return b >= 0x80 && b <= 0x9F;
    case 0xF0:
      return b >= 0x90 && b <= 0xBF;
    case 0xF4:
      return b >= 0x80 && b <= 0x8F;
    default:
      return b >= 0x80 && b <= 0xBF;
  }
}

// Moves every complete character of `in` to `out`; each maximal invalid subpart becomes one
// U+FFFD. Returns how many bytes at the end were left because they start a character that later
// bytes may complete (0 when `final`: then those become U+FFFD too).
size_t drain_utf8(const std::string& in, std::string& out, bool final) {
  size_t i = 0;
  while (i < in.size()) {
    const uint8_t lead = static_cast<uint8_t>(in[i]);
    const size_t len = seq_len(lead);
    if (len == 1) {
      out += static_cast<char>(lead);
      ++i;
      continue;
    }
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;  // bytes of this sequence that are valid so far
    while (k < len && i + k < in.size()) {
      const uint8_t b = static_cast<uint8_t>(in[i + k]);
      if (!(k == 1 ? second_ok(lead, b) : (b >= 0x80 && b <= 0xBF))) break;
      ++k;
    }
    if (k == len) {
      out.append(in, i, len);
    } else if (i + k == in.size() && !final) {
      return in.size() - i;  // a valid but incomplete tail: wait for more bytes
    } else {
      out += kReplacement;
    }
    i += k;
  }
  return 0;
}

}  // namespace

std::string StreamDecoder::push(Token id) {
  std::string piece = tok_->token_to_piece(id, special_);
  if (first_ && !(id == tok_->bos() && tok_->bos() >= 0)) {
    // Same rule as Tokenizer::decode: one space off the first piece after any leading BOS.
    if (tok_->add_space_prefix() && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    first_ = false;
  }
  pending_ += piece;
  std::string out;
  const size_t keep = drain_utf8(pending_, out, /*final=*/false);
  pending_.erase(0, pending_.size() - keep);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  (void)drain_utf8(pending_, out, /*final=*/true);
  pending_.clear();
  return out;
}

}  // namespace chord
