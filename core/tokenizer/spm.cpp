// SentencePiece-style tokenizer (tokenizer.ggml.model "llama"), following llama.cpp's
// llm_tokenizer_spm: spaces become U+2581, adjacent symbols merge by best vocabulary score
// (priority queue, leftmost wins ties), leftovers fall back to <0xXX> byte tokens.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "core/gguf/keys.h"
#include "core/tokenizer/tokenizer_internal.h"

namespace chord {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

// Bytes of the UTF-8 sequence a lead byte announces (llama.cpp unicode_len_utf8: a stray
// continuation or invalid byte counts as one).
size_t utf8_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

class SpmTokenizer final : public TokenizerBase {
 public:
  Status init(const gguf::File& file) {
    CHORD_TRY(load_common(file, default_vocab("llama")));
    // byte -> token: "<0xXX>", else the byte itself as a one-character token, else unk.
    for (int b = 0; b < 256; ++b) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const char name[7] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>', 0};
      Token id = id_of(name);
      if (id < 0) id = id_of(std::string(1, static_cast<char>(b)));
      byte_tokens_[static_cast<size_t>(b)] = id >= 0 ? id : unk_;
    }
    return Status::Ok();
  }

  std::vector<Token> encode(std::string_view text, bool add_special, bool parse_special) const override {
    std::vector<TextFragment> frags;
    split_special(text, parse_special, frags);
    std::vector<Token> out;
    if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);
    bool prev_special = true;  // the first text fragment gets the prefix space too
    std::string buf;
    for (const TextFragment& f : frags) {
      if (f.id >= 0) {
        out.push_back(f.id);
        prev_special = true;
        continue;
      }
      buf.clear();
      if (add_space_prefix_ && prev_special) buf += kSpace;
      for (char c : f.text) {
        if (c == ' ') {
          buf += kSpace;
        } else {
          buf += c;
        }
      }
      tokenize_piece(buf, out);
      prev_special = false;
    }
    if (add_special && add_eos_ && eos_ >= 0) out.push_back(eos_);
    return out;
  }

  std::string token_to_piece(Token id, bool special) const override {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return {};
    const std::string& text = tokens_[static_cast<size_t>(id)];
    switch (attrs_[static_cast<size_t>(id)]) {
      case TokenAttr::control:
      case TokenAttr::unknown:
        return special ? text : std::string();
      case TokenAttr::user_defined:
        return text;
      case TokenAttr::normal: {
        std::string out;
        out.reserve(text.size());
        for (size_t i = 0; i < text.size();) {
          if (text.compare(i, kSpace.size(), kSpace) == 0) {
            out += ' ';
            i += kSpace.size();
          } else {
            out += text[i++];
          }
        }
        return out;
      }
      case TokenAttr::byte: {
        // "<0xXX>" -> that byte (llama.cpp token_to_byte reads the two hex digits at 3..4).
        if (text.size() >= 5) {
          const int hi = hex_digit(text[3]), lo = hex_digit(text[4]);
          if (hi >= 0 && lo >= 0) return std::string(1, static_cast<char>(hi * 16 + lo));
        }
        return {};
      }
      default:  // unused, undefined: rendered as nothing, like llama.cpp
        return {};
    }
  }

 private:
  // One symbol of the merge list: a span of the input, linked to its live neighbours.
  struct Symbol {
    int prev, next;  // indices into the symbol list, -1 at the ends
    size_t start;    // byte offset into the text
    size_t n;        // bytes; 0 once merged into its left neighbour
  };
  struct Bigram {
    int left, right;
    float score;
    size_t size;  // bytes of the merged text, to detect stale entries
  };
  struct BigramOrder {
    // Highest score first; equal scores: leftmost first (llama.cpp llm_bigram_spm::comparator).
    bool operator()(const Bigram& a, const Bigram& b) const {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
  };
  using Queue = std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder>;

  void try_add_bigram(const std::string& text, const std::vector<Symbol>& syms, int left, int right, Queue& queue,
                      std::string& scratch) const {
    if (left < 0 || right < 0) return;
    const Symbol& l = syms[static_cast<size_t>(left)];
    const Symbol& r = syms[static_cast<size_t>(right)];
    scratch.assign(text, l.start, l.n + r.n);
    const Token id = id_of(scratch);
    if (id < 0) return;
    queue.push({left, right, score(id), scratch.size()});
  }

  // llm_tokenizer_spm_session::tokenize on one escaped fragment.
  void tokenize_piece(const std::string& text, std::vector<Token>& out) const {
    std::vector<Symbol> syms;
    syms.reserve(text.size());
    for (size_t off = 0; off < text.size();) {
      const size_t len = std::min(utf8_len(static_cast<uint8_t>(text[off])), text.size() - off);
      const int idx = static_cast<int>(syms.size());
      syms.push_back({idx - 1, off + len == text.size() ? -1 : idx + 1, off, len});
      off += len;
    }
    if (syms.empty()) return;

    Queue queue;
    std::string scratch;
    for (size_t i = 1; i < syms.size(); ++i) {
      try_add_bigram(text, syms, static_cast<int>(i - 1), static_cast<int>(i), queue, scratch);
    }
    while (!queue.empty()) {
      const Bigram bg = queue.top();
      queue.pop();
      Symbol& l = syms[static_cast<size_t>(bg.left)];
      Symbol& r = syms[static_cast<size_t>(bg.right)];
      if (l.n == 0 || r.n == 0 || l.n + r.n != bg.size) continue;  // stale: a side was merged
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = bg.left;
      try_add_bigram(text, syms, l.prev, bg.left, queue, scratch);
      try_add_bigram(text, syms, bg.left, l.next, queue, scratch);
    }

    // Every merged symbol is a vocabulary token; a single character that is not falls back to
    // its bytes. (llama.cpp's rev_merge re-segmentation can only fire for texts that are tokens,
    // which the first lookup already takes, so it never changes the result.)
    for (int i = 0; i != -1; i = syms[static_cast<size_t>(i)].next) {
      const Symbol& s = syms[static_cast<size_t>(i)];
      scratch.assign(text, s.start, s.n);
      if (Token id = id_of(scratch); id >= 0) {
        out.push_back(id);
        continue;
      }
      for (size_t j = 0; j < s.n; ++j) {
        const Token b = byte_tokens_[static_cast<uint8_t>(text[s.start + j])];
        if (b >= 0) out.push_back(b);  // no byte token and no unk: the byte is dropped
      }
    }
  }

  Token byte_tokens_[256] = {};
};

}  // namespace

Result<std::shared_ptr<const Tokenizer>> make_spm_tokenizer(const gguf::File& file) {
  auto tok = std::make_shared<SpmTokenizer>();
  CHORD_TRY(tok->init(file));
  return std::shared_ptr<const Tokenizer>(std::move(tok));
}

}  // namespace chord
