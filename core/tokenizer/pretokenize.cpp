// Hand-written pre-tokenizers for byte-level BPE, equivalent to llama.cpp's per-type regex lists.
// Each regex is a "matcher" run over the current segments the way llama.cpp runs one regex after
// the other: within a segment, the leftmost match becomes a word, unmatched stretches between
// matches stay words of their own, and nothing looks past a segment's end. The two splitters
// llama.cpp hand-codes (GPT-2, Llama 3) match at every position.
#include "core/tokenizer/pretokenize.h"

#include <algorithm>
#include <utility>

#include "core/tokenizer/unicode.h"

namespace chord::pretok {
namespace u = chord::unicode;
namespace {

constexpr uint32_t kOut = 0xFFFFFFFF;  // "no code point": past the segment's end
constexpr uint16_t kWs = u::kWhitespace;

struct Text {
  std::vector<uint32_t> cpt;  // (n) code points
  std::vector<uint16_t> fl;   // (n) unicode::flags of each
  std::vector<size_t> off;    // (n + 1) byte offset of each code point in the UTF-8 text
};

// A matcher returns the length of the match that starts at p (0: none) within [p, end).
using Matcher = size_t (*)(const Text& t, size_t p, size_t end);
// Where the search may resume after a failed match at p (only \s+$ needs more than p + 1).
size_t resume_after(Matcher m, const Text& t, size_t p, size_t end);

inline uint32_t cpt_at(const Text& t, size_t i, size_t end) { return i < end ? t.cpt[i] : kOut; }
inline uint16_t fl_at(const Text& t, size_t i, size_t end) { return i < end ? t.fl[i] : 0; }
inline bool is_ws(const Text& t, size_t i, size_t end) { return fl_at(t, i, end) & kWs; }
inline bool is_nl(uint32_t c) { return c == '\r' || c == '\n'; }

// Classes as llama.cpp's std::regex fallback sees them when a regex uses \p{..}: the text is
// "collapsed" to one byte per code point. ASCII keeps its own classes, where \p{S} lacks '~';
// other whitespace becomes \v; any other code point becomes its category's byte.
inline uint16_t coll(const Text& t, size_t i, size_t end) {
  if (i >= end) return 0;
  const uint32_t c = t.cpt[i];
  const uint16_t f = t.fl[i];
  if (c < 128) return c == '~' ? 0 : f;
  return (f & kWs) ? kWs : (f & u::kCategoryMask);
}
// The code point as llama.cpp's std::wregex fallback (regexes without \p{..}) sees it: non-ASCII
// whitespace is replaced by \v, so it only matches \s.
inline uint32_t wide(const Text& t, size_t i, size_t end) {
  if (i >= end) return kOut;
  return (t.cpt[i] > 0x7F && (t.fl[i] & kWs)) ? 0x0B : t.cpt[i];
}

// Length of the run of code points from p that satisfy pred(i).
template <class Pred>
inline size_t run(size_t p, size_t end, Pred pred) {
  size_t q = p;
  while (q < end && pred(q)) ++q;
  return q - p;
}

// "\s?X+" for a class X: an optional whitespace only if X follows it.
template <class InClass>
inline size_t opt_ws_then_run(const Text& t, size_t p, size_t end, InClass in) {
  if (is_ws(t, p, end) && p + 1 < end && in(p + 1)) return 1 + run(p + 1, end, in);
  return run(p, end, in);
}

// ---- llama.cpp's hand-coded splitters ----

// 's|'t|'re|'ve|'m|'ll|'d (case-insensitive when fold is set): length 2, 3 or 0.
inline size_t contraction(const Text& t, size_t p, size_t end, bool fold) {
  if (t.cpt[p] != '\'' || p + 1 >= end) return 0;
  auto low = [&](size_t i) {
    uint32_t c = cpt_at(t, i, end);
    return fold ? u::to_lower(c) : c;
  };
  const uint32_t a = low(p + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (p + 2 < end) {
    const uint32_t b = low(p + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  }
  return 0;
}

// \s+(?!\S) then \s+ for a whitespace run at p; 0 if p is not whitespace.
inline size_t trailing_ws(const Text& t, size_t p, size_t end) {
  const size_t n = run(p, end, [&](size_t i) { return (t.fl[i] & kWs) != 0; });
  if (n > 1 && p + n < end) return n - 1;  // leave the last one to the next word
  return n;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t m_gpt2(const Text& t, size_t p, size_t end) {
  if (size_t n = contraction(t, p, end, false)) return n;
  const uint32_t c = t.cpt[p];
  const size_t q = p + (c == ' ');  // where the class run would start
  const uint16_t f2 = fl_at(t, q, end);
  if (f2 & u::kLetter) return q + run(q, end, [&](size_t i) { return (t.fl[i] & u::kLetter) != 0; }) - p;
  if (f2 & u::kNumber) return q + run(q, end, [&](size_t i) { return (t.fl[i] & u::kNumber) != 0; }) - p;
  constexpr uint16_t kWLN = kWs | u::kLetter | u::kNumber;
  if (f2 && !(f2 & kWLN)) return q + run(q, end, [&](size_t i) { return !(t.fl[i] & kWLN); }) - p;
  const size_t n = trailing_ws(t, p, end);
  return n ? n : 1;
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+ with D digits at most; without [\r\n]* after punctuation if !nl_tail.
template <size_t D, bool nl_tail>
size_t m_llama3(const Text& t, size_t p, size_t end) {
  if (size_t n = contraction(t, p, end, true)) return n;
  const uint32_t c = t.cpt[p];
  const uint16_t f = t.fl[p];
  auto letter = [&](size_t i) { return (t.fl[i] & u::kLetter) != 0; };
  if (!is_nl(c) && !(f & u::kNumber) && ((f & u::kLetter) || (fl_at(t, p + 1, end) & u::kLetter)))
    return 1 + run(p + 1, end, letter);
  if (f & u::kNumber) return std::min(D, run(p, end, [&](size_t i) { return (t.fl[i] & u::kNumber) != 0; }));
  constexpr uint16_t kWLN = kWs | u::kLetter | u::kNumber;
  const uint16_t f2 = c == ' ' ? fl_at(t, p + 1, end) : f;
  if (!(f2 & kWLN)) {  // also taken for a lone space at the segment's end: same length as \s+
    size_t q = p + (c == ' ');
    q += run(q, end, [&](size_t i) { return !(t.fl[i] & kWLN); });
    if (nl_tail) q += run(q, end, [&](size_t i) { return is_nl(t.cpt[i]); });
    return q - p;
  }
  size_t n = 0, last_nl = 0;
  while (is_ws(t, p + n, end)) {
    if (is_nl(t.cpt[p + n])) last_nl = n + 1;
    ++n;
  }
  if (last_nl) return last_nl;
  const size_t w = trailing_ws(t, p, end);
  return w ? w : 1;
}

// ---- single regexes of llama.cpp's lists ----

size_t m_newline(const Text& t, size_t p, size_t end) { return is_nl(t.cpt[p]) ? 1 : 0; }

// \p{N} and \p{N}+ and \p{N}{1,3} (collapsed)
size_t m_digit(const Text& t, size_t p, size_t end) { return (coll(t, p, end) & u::kNumber) ? 1 : 0; }
size_t m_digits(const Text& t, size_t p, size_t end) {
  return run(p, end, [&](size_t i) { return (coll(t, i, end) & u::kNumber) != 0; });
}
size_t m_digits3(const Text& t, size_t p, size_t end) { return std::min<size_t>(3, m_digits(t, p, end)); }

// [0-9][0-9][0-9]
size_t m_ascii_digits3(const Text& t, size_t p, size_t end) {
  auto d = [&](size_t i) {
    uint32_t c = cpt_at(t, i, end);
    return c >= '0' && c <= '9';
  };
  return d(p) && d(p + 1) && d(p + 2) ? 3 : 0;
}

bool in_ranges(uint32_t c, const std::pair<uint32_t, uint32_t>* r, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (c >= r[i].first && c <= r[i].second) return true;
  return false;
}

// [\p{P}\$\+<=>\^~\|`]+ (falcon) and [\p{P}\$\+<=>\^~\|]+ (default)
template <bool backtick>
size_t m_punct_sym(const Text& t, size_t p, size_t end) {
  return run(p, end, [&](size_t i) {
    const uint32_t c = t.cpt[i];
    if (coll(t, i, end) & u::kPunctuation) return true;
    return c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' || c == '~' || c == '|' ||
           (backtick && c == '`');
  });
}

// DeepSeek LLM: \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+ -- the cased letters (Lu/Ll/Lt) of the regex as written.
const std::pair<uint32_t, uint32_t> kDsCased[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},       {0xD8, 0xF6},
    {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},     {0x295, 0x2AF},     {0x370, 0x373},
    {0x376, 0x377},     {0x37B, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},
    {0x38C, 0x38C},     {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},   {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},   {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},   {0x2C7E, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},   {0xA680, 0xA69B},   {0xA722, 0xA76F},
    {0xA771, 0xA787},   {0xA78B, 0xA78E},   {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
size_t m_ds_cased(const Text& t, size_t p, size_t end) {
  constexpr size_t n = sizeof(kDsCased) / sizeof(kDsCased[0]);
  return opt_ws_then_run(t, p, end, [&](size_t i) { return in_ranges(wide(t, i, end), kDsCased, n); });
}

// DeepSeek LLM: \s?[!-/:-~！-／：-～‘-‟　-。]+
const std::pair<uint32_t, uint32_t> kDsPunct[] = {
    {0x21, 0x2F}, {0x3A, 0x7E}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};
size_t m_ds_punct(const Text& t, size_t p, size_t end) {
  return opt_ws_then_run(t, p, end, [&](size_t i) { return in_ranges(wide(t, i, end), kDsPunct, 6); });
}

// \s+$
size_t m_ws_at_end(const Text& t, size_t p, size_t end) {
  const size_t n = run(p, end, [&](size_t i) { return (t.fl[i] & kWs) != 0; });
  return p + n == end ? n : 0;
}

// [一-龥ࠀ-一가-퟿]+ (DeepSeek LLM/Coder)
size_t m_ds_cjk(const Text& t, size_t p, size_t end) {
  return run(p, end, [&](size_t i) {
    const uint32_t c = wide(t, i, end);
    return (c >= 0x800 && c <= 0x9FA5) || (c >= 0xAC00 && c <= 0xD7FF);
  });
}

// \s?\p{L}+ and \s?\p{P}+ (collapsed)
size_t m_ws_letters(const Text& t, size_t p, size_t end) {
  return opt_ws_then_run(t, p, end, [&](size_t i) { return (coll(t, i, end) & u::kLetter) != 0; });
}
size_t m_ws_punct(const Text& t, size_t p, size_t end) {
  return opt_ws_then_run(t, p, end, [&](size_t i) { return (coll(t, i, end) & u::kPunctuation) != 0; });
}

// DeepSeek V3: [一-龥぀-ゟ゠-ヿ]+
size_t m_ds3_cjk(const Text& t, size_t p, size_t end) {
  return run(p, end, [&](size_t i) {
    const uint32_t c = wide(t, i, end);
    return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x3040 && c <= 0x30FF);
  });
}

// DeepSeek V3: [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
// ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ (collapsed)
size_t m_ds3_words(const Text& t, size_t p, size_t end) {
  auto ascii_alpha = [&](size_t i) {
    const uint32_t c = cpt_at(t, i, end);
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  };
  const uint32_t c = t.cpt[p];
  const bool ascii_punct =
      (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
  if (ascii_punct && ascii_alpha(p + 1)) return 1 + run(p + 1, end, ascii_alpha);
  constexpr uint16_t kLM = u::kLetter | u::kMark, kPS = u::kPunctuation | u::kSymbol;
  auto lm = [&](size_t i) { return (coll(t, i, end) & kLM) != 0; };
  const uint16_t k = coll(t, p, end);
  if (!is_nl(c) && !(k & (u::kLetter | kPS)) && lm(p + 1)) return 1 + run(p + 1, end, lm);
  if (k & kLM) return run(p, end, lm);
  auto ps = [&](size_t i) { return (coll(t, i, end) & kPS) != 0; };
  const size_t q = p + (c == ' ' && ps(p + 1));
  if (ps(q)) {
    size_t e = q + run(q, end, ps);
    return e + run(e, end, [&](size_t i) { return is_nl(t.cpt[i]); }) - p;
  }
  size_t n = 0, last_nl = 0;
  while (is_ws(t, p + n, end)) {
    if (is_nl(t.cpt[p + n])) last_nl = n + 1;
    ++n;
  }
  return last_nl ? last_nl : trailing_ws(t, p, end);
}

// Poro / BLOOM: " ?[^(\s|.,!?…。，、।۔،)]+"
size_t m_poro(const Text& t, size_t p, size_t end) {
  auto in = [&](size_t i) {
    const uint32_t c = wide(t, i, end);
    if (c == kOut || is_ws(t, i, end)) return false;
    switch (c) {
      case '(':
      case ')':
      case '|':
      case '.':
      case ',':
      case '!':
      case '?':
      case 0x2026:
      case 0x3002:
      case 0xFF0C:
      case 0x3001:
      case 0x0964:
      case 0x06D4:
      case 0x060C:
        return false;
      default:
        return true;
    }
  };
  if (t.cpt[p] == ' ' && in(p + 1)) return 1 + run(p + 1, end, in);
  return run(p, end, in);
}

size_t resume_after(Matcher m, const Text& t, size_t p, size_t end) {
  // \s+$ fails at every position of a whitespace run that does not reach the end: skip the run
  // rather than rescanning it from each of its positions.
  if (m == m_ws_at_end) return p + std::max<size_t>(1, run(p, end, [&](size_t i) { return (t.fl[i] & kWs) != 0; }));
  return p + 1;
}

// One regex over every segment: matches and the stretches between them become segments.
void apply(const Text& t, Matcher m, std::vector<size_t>& segs, std::vector<size_t>& tmp) {
  tmp.clear();
  size_t start = 0;
  for (const size_t len : segs) {
    const size_t end = start + len;
    size_t gap = start, p = start;
    while (p < end) {
      const size_t n = m(t, p, end);
      if (n == 0) {
        p = resume_after(m, t, p, end);
        continue;
      }
      if (p > gap) tmp.push_back(p - gap);
      tmp.push_back(n);
      p += n;
      gap = p;
    }
    if (end > gap) tmp.push_back(end - gap);
    start = end;
  }
  segs.swap(tmp);
}

std::vector<Matcher> matchers(Kind kind) {
  switch (kind) {
    case Kind::gpt2:
      return {m_gpt2};
    case Kind::llama3:
      return {m_llama3<3, true>};
    case Kind::qwen2:
      return {m_llama3<1, true>};
    case Kind::seed_coder:
      return {m_llama3<1, false>};
    case Kind::deepseek_llm:
      return {m_newline, m_ds_cased, m_ds_punct, m_ws_at_end, m_ds_cjk, m_digits};
    case Kind::deepseek_coder:
      return {m_newline, m_ws_letters, m_ws_punct, m_ds_cjk, m_digit};
    case Kind::deepseek3:
      return {m_digits3, m_ds3_cjk, m_ds3_words};
    case Kind::falcon:
      return {m_punct_sym<true>, m_gpt2, m_ascii_digits3};
    case Kind::starcoder:
      return {m_digit, m_gpt2};
    case Kind::poro:
      return {m_poro};
    case Kind::viking:
      return {m_poro, m_digit};
    case Kind::default_:
      break;
  }
  return {m_punct_sym<false>, m_gpt2, m_digits, m_ascii_digits3};
}

}  // namespace

std::optional<PreTokenizer> find_pre_tokenizer(std::string_view name) {
  struct Entry {
    std::string_view name;
    Kind kind;
    bool ignore_merges, add_bos, clean, no_bos;
  };
  static constexpr Entry kEntries[] = {
      {"", Kind::default_, false, false, true, false},
      {"default", Kind::default_, false, false, true, false},
      {"llama3", Kind::llama3, true, true, true, false},
      {"llama-v3", Kind::llama3, true, true, true, false},
      {"llama-bpe", Kind::llama3, true, true, true, false},
      {"falcon3", Kind::llama3, true, true, true, false},
      {"falcon-h1", Kind::llama3, true, true, true, false},
      {"pixtral", Kind::llama3, true, true, true, false},
      {"midm-2.0", Kind::llama3, true, true, true, false},
      {"lfm2", Kind::llama3, true, true, true, false},
      {"dbrx", Kind::llama3, false, false, true, false},
      {"smaug-bpe", Kind::llama3, false, false, true, false},
      {"glm4", Kind::llama3, false, false, true, true},
      {"chatglm-bpe", Kind::llama3, false, false, true, true},
      {"deepseek-llm", Kind::deepseek_llm, false, false, false, false},
      {"deepseek-coder", Kind::deepseek_coder, false, false, false, false},
      {"deepseek-v3", Kind::deepseek3, false, false, false, false},
      {"hunyuan-dense", Kind::deepseek3, false, false, false, false},
      {"falcon", Kind::falcon, false, false, true, false},
      {"mpt", Kind::gpt2, false, false, true, false},
      {"gpt-2", Kind::gpt2, false, false, true, false},
      {"phi-2", Kind::gpt2, false, false, true, false},
      {"jina-es", Kind::gpt2, false, false, true, false},
      {"jina-de", Kind::gpt2, false, false, true, false},
      {"gigachat", Kind::gpt2, false, false, true, false},
      {"jina-v2-es", Kind::gpt2, false, false, true, false},
      {"jina-v2-de", Kind::gpt2, false, false, true, false},
      {"a.x-4.0", Kind::gpt2, false, false, true, false},
      {"mellum", Kind::gpt2, false, false, true, false},
      {"jina-v1-en", Kind::gpt2, false, false, true, false},
      {"jina-v2-code", Kind::gpt2, false, false, true, false},
      {"roberta-bpe", Kind::gpt2, false, false, true, false},
      {"exaone4", Kind::gpt2, false, false, true, false},
      {"olmo", Kind::gpt2, false, false, true, false},
      {"jais", Kind::gpt2, false, false, true, false},
      {"trillion", Kind::gpt2, false, false, false, false},
      {"granite-docling", Kind::gpt2, false, false, false, false},
      {"starcoder", Kind::starcoder, false, false, true, false},
      {"refact", Kind::starcoder, false, false, true, false},
      {"command-r", Kind::starcoder, false, false, false, false},
      {"smollm", Kind::starcoder, false, false, false, false},
      {"codeshell", Kind::starcoder, false, false, true, false},
      {"exaone", Kind::starcoder, false, false, true, false},
      {"minerva-7b", Kind::starcoder, false, false, true, false},
      {"qwen2", Kind::qwen2, false, false, false, false},
      {"deepseek-r1-qwen", Kind::qwen2, false, false, false, false},
      {"stablelm2", Kind::qwen2, false, false, true, false},
      {"megrez", Kind::qwen2, false, false, true, false},
      {"hunyuan", Kind::qwen2, false, false, false, false},
      {"grok-2", Kind::qwen2, false, false, false, false},
      {"bailingmoe", Kind::qwen2, false, false, false, false},
      {"bailingmoe2", Kind::qwen2, false, false, false, false},
      {"llada-moe", Kind::qwen2, false, false, false, false},
      {"seed-coder", Kind::seed_coder, false, false, false, false},
      {"poro-chat", Kind::poro, false, false, false, false},
      {"bloom", Kind::poro, false, false, true, false},
      {"gpt3-finnish", Kind::poro, false, false, true, false},
      {"viking", Kind::viking, false, false, false, false},
  };
  for (const Entry& e : kEntries) {
    if (e.name == name) {
      PreTokenizer p;
      p.kind = e.kind;
      p.ignore_merges = e.ignore_merges;
      p.add_bos = e.add_bos;
      p.clean_spaces = e.clean;
      p.no_bos = e.no_bos;
      return p;
    }
  }
  return std::nullopt;
}

void split_words(Kind kind, std::string_view text, std::string& storage, std::vector<std::string_view>& words) {
  words.clear();
  if (text.empty()) return;
  Text t;
  t.cpt = u::to_cpts(text);
  if (!u::is_valid_utf8(text)) {  // llama.cpp rebuilds words from the decoded code points
    storage.clear();
    for (const uint32_t c : t.cpt) u::append_utf8(storage, c);
    text = storage;
  }
  const size_t n = t.cpt.size();
  t.fl.resize(n);
  t.off.resize(n + 1);
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    t.fl[i] = u::flags(t.cpt[i]);
    t.off[i] = pos;
    pos += u::utf8_len(static_cast<uint8_t>(text[pos]));
  }
  t.off[n] = pos;

  std::vector<size_t> segs{n}, tmp;
  for (const Matcher m : matchers(kind)) apply(t, m, segs, tmp);

  words.reserve(segs.size());
  size_t start = 0;
  for (const size_t len : segs) {
    words.push_back(text.substr(t.off[start], t.off[start + len] - t.off[start]));
    start += len;
  }
}

}  // namespace chord::pretok
