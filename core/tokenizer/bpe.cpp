// Byte-level BPE (tokenizer.ggml.model "gpt2"), as llama.cpp's llm_tokenizer_bpe: pre-tokenize by
// tokenizer.ggml.pre, map each word's bytes to GPT-2's byte alphabet, then merge adjacent symbols
// lowest merge rank first (ties: leftmost) using tokenizer.ggml.merges.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/gguf/keys.h"
#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/tokenizer_internal.h"
#include "core/tokenizer/unicode.h"

namespace chord {
namespace {

class BpeTokenizer final : public TokenizerBase {
 public:
  Status load(const gguf::File& file);
  std::vector<Token> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_to_piece(Token id, bool special) const override;

 private:
  struct Merge {
    int32_t rank;    // line number in tokenizer.ggml.merges
    int32_t merged;  // symbol id of left + right
  };
  struct Symbol {
    int32_t sym;         // symbol id of this piece (see symbol_of)
    uint32_t start, n;   // bytes of the word; n == 0 once merged into the left neighbour
    int32_t prev, next;  // neighbours in the word, -1 at the ends
  };
  struct Bigram {
    int32_t rank, left, right;  // rank of the merge, symbol indices
    int32_t lsym, rsym;         // their symbol ids when queued (stale if either changed)
    int32_t merged;             // symbol id of the merged piece
  };
  // Heap order: the top is the lowest rank, then the leftmost pair (llama.cpp's comparator).
  struct Later {
    bool operator()(const Bigram& a, const Bigram& b) const {
      return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
  };
  struct Scratch {  // reused across the words of one encode() call
    std::vector<Symbol> symbols;
    std::vector<Bigram> heap;
    std::string encoded, piece;
  };

  int32_t symbol_of(const std::string& s);
  void add_bigram(Scratch& s, int32_t left, int32_t right) const;
  void encode_word(std::string_view word, Scratch& s, std::vector<Token>& out) const;
  void emit_unknown_piece(std::string_view bytes, std::string& buf, std::vector<Token>& out) const;

  pretok::PreTokenizer pre_info_;
  // Symbol ids: a piece that is a token has its token id; the few merge pieces that are not get
  // ids from n_vocab on.
  std::unordered_map<std::string, int32_t> extra_syms_;
  std::unordered_map<uint64_t, Merge> merges_;  // (left sym << 32 | right sym) -> merge
  int32_t byte_sym_[256];                       // symbol of each single byte
};

uint64_t pair_key(int32_t l, int32_t r) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
}

int32_t BpeTokenizer::symbol_of(const std::string& s) {
  if (Token id = id_of(s); id >= 0) return id;
  auto it = extra_syms_.emplace(s, vocab_size() + static_cast<int32_t>(extra_syms_.size())).first;
  return it->second;
}

Status BpeTokenizer::load(const gguf::File& file) {
  const std::string pre = file.get_string(keys::kTokPre).value_or("");
  auto info = pretok::find_pre_tokenizer(pre);
  if (!info) return {Code::unsupported, "tokenizer: unknown BPE pre-tokenizer '" + pre + "'"};
  pre_info_ = *info;
  VocabDefaults d = default_vocab("gpt2");
  if (info->add_bos) d.add_bos = true;
  if (info->no_bos) d.bos = -1;
  d.clean_spaces = info->clean_spaces;
  CHORD_TRY(load_common(file, d));

  const gguf::Value* mv = file.find(keys::kTokMerges);
  if (!mv || mv->type != gguf::ValueType::array || mv->elem_type != gguf::ValueType::string) {
    return {Code::bad_gguf, "tokenizer: " + std::string(keys::kTokMerges) + " missing or not a string array"};
  }
  const std::vector<std::string>& lines = mv->strings;
  // Symbol ids (tokens, then up to three new pieces per merge, then bytes) must fit an int32.
  if (lines.size() > (static_cast<size_t>(INT32_MAX) - static_cast<size_t>(vocab_size()) - 256) / 3) {
    return {Code::bad_gguf, "tokenizer: too many merges"};
  }
  merges_.reserve(lines.size());
  std::string left, right, both;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    // llama.cpp splits at the first space after the first byte; a line without one can never
    // match a pair of non-empty pieces, so it is skipped.
    const size_t sp = line.size() > 1 ? line.find(' ', 1) : std::string::npos;
    if (sp == std::string::npos) continue;
    left.assign(line, 0, sp);
    right.assign(line, sp + 1);
    both.assign(left).append(right);
    const int32_t l = symbol_of(left), r = symbol_of(right), m = symbol_of(both);
    merges_.emplace(pair_key(l, r), Merge{static_cast<int32_t>(i), m});  // first rank wins
  }
  for (int b = 0; b < 256; ++b) byte_sym_[b] = symbol_of(std::string(unicode::byte_to_utf8(static_cast<uint8_t>(b))));
  return Status::Ok();
}

void BpeTokenizer::add_bigram(Scratch& s, int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return;
  const int32_t l = s.symbols[static_cast<size_t>(left)].sym;
  const int32_t r = s.symbols[static_cast<size_t>(right)].sym;
  if (l < 0 || r < 0) return;
  auto it = merges_.find(pair_key(l, r));
  if (it == merges_.end()) return;
  s.heap.push_back(Bigram{it->second.rank, left, right, l, r, it->second.merged});
  std::push_heap(s.heap.begin(), s.heap.end(), Later{});
}

// A piece with no token of its own (llama.cpp: each byte of its byte-alphabet text, looked up as
// a one-byte token, the rest dropped).
void BpeTokenizer::emit_unknown_piece(std::string_view bytes, std::string& buf, std::vector<Token>& out) const {
  buf.clear();
  for (const char c : bytes) buf += unicode::byte_to_utf8(static_cast<uint8_t>(c));
  if (Token id = id_of(buf); id >= 0) {
    out.push_back(id);
    return;
  }
  for (const char c : buf) {
    if (Token id = id_of(std::string(1, c)); id >= 0) out.push_back(id);
  }
}

void BpeTokenizer::encode_word(std::string_view word, Scratch& s, std::vector<Token>& out) const {
  if (word.empty()) return;
  if (pre_info_.ignore_merges) {
    s.encoded.clear();
    for (const char c : word) s.encoded += unicode::byte_to_utf8(static_cast<uint8_t>(c));
    if (Token id = id_of(s.encoded); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  // One symbol per byte: each byte is one character of the byte alphabet.
  const int32_t n = static_cast<int32_t>(word.size());
  s.symbols.resize(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    s.symbols[static_cast<size_t>(i)] = Symbol{byte_sym_[static_cast<uint8_t>(word[static_cast<size_t>(i)])],
                                               static_cast<uint32_t>(i), 1, i - 1, i + 1 < n ? i + 1 : -1};
  }
  s.heap.clear();
  for (int32_t i = 1; i < n; ++i) add_bigram(s, i - 1, i);
  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), Later{});
    const Bigram b = s.heap.back();
    s.heap.pop_back();
    Symbol& left = s.symbols[static_cast<size_t>(b.left)];
    Symbol& right = s.symbols[static_cast<size_t>(b.right)];
    // Stale: one side was merged away or has grown since the pair was queued.
    if (left.n == 0 || right.n == 0 || left.sym != b.lsym || right.sym != b.rsym) continue;
    left.sym = b.merged;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) s.symbols[static_cast<size_t>(right.next)].prev = b.left;
    add_bigram(s, left.prev, b.left);
    add_bigram(s, b.left, left.next);
  }
  for (int32_t i = 0; i >= 0; i = s.symbols[static_cast<size_t>(i)].next) {
    const Symbol& sym = s.symbols[static_cast<size_t>(i)];
    if (sym.sym >= 0 && sym.sym < vocab_size()) {
      out.push_back(sym.sym);
    } else {
      emit_unknown_piece(word.substr(sym.start, sym.n), s.piece, out);
    }
  }
}

std::vector<Token> BpeTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<Token> out;
  if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);
  std::vector<TextFragment> frags;
  split_special(text, parse_special, frags);
  Scratch scratch;
  std::string storage;
  std::vector<std::string_view> words;
  for (const TextFragment& f : frags) {
    if (f.id >= 0) {
      out.push_back(f.id);
      continue;
    }
    pretok::split_words(pre_info_.kind, f.text, storage, words);
    for (std::string_view w : words) encode_word(w, scratch, out);
  }
  if (add_special && add_eos_ && eos_ >= 0) out.push_back(eos_);
  return out;
}

std::string BpeTokenizer::token_to_piece(Token id, bool special) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return {};
  const TokenAttr a = attrs_[static_cast<size_t>(id)];
  const std::string& text = tokens_[static_cast<size_t>(id)];
  if (a == TokenAttr::control || a == TokenAttr::unknown) return special ? text : std::string();
  if (a == TokenAttr::user_defined) return text;
  if (a != TokenAttr::normal) return {};  // byte, unused, undefined: llama.cpp gives nothing
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t at = pos;
    const int b = unicode::cpt_to_byte(unicode::decode_utf8(text, pos));
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    // Not in the byte alphabet: llama.cpp writes a marker with the bytes in hex.
    static constexpr char kHex[] = "0123456789abcdef";
    out += "[UNK_BYTE_0x";
    for (size_t k = at; k < pos; ++k) {
      const auto c = static_cast<uint8_t>(text[k]);
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    out += text;
    out += ']';
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> make_bpe_tokenizer(const gguf::File& file) {
  auto tok = std::make_shared<BpeTokenizer>();
  CHORD_TRY(tok->load(file));
  return std::shared_ptr<const Tokenizer>(std::move(tok));
}

}  // namespace chord
