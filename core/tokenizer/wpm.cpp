// WordPiece (tokenizer.ggml.model "bert"), as llama.cpp's llm_tokenizer_wpm: per code point
// "NFD" (first code point, which drops accents), lowercase, split at whitespace, punctuation, ASCII
// symbols and CJK ideographs, then greedy longest-prefix matching of "▁" + word.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer_internal.h"
#include "core/tokenizer/unicode.h"

namespace chord {
namespace {

namespace u = chord::unicode;

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, the word-start marker

// CJK ranges of BERT's _is_chinese_char (one of them as HF's Rust code has it: 0x2B920, not 0x2B820).
bool is_chinese_char(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class WpmTokenizer final : public TokenizerBase {
 public:
  Status load(const gguf::File& file) {
    CHORD_TRY(load_common(file, default_vocab("bert")));
    for (const std::string& t : tokens_) max_len_ = std::max(max_len_, t.size());
    return Status::Ok();
  }

  std::vector<Token> encode(std::string_view text, bool add_special, bool parse_special) const override {
    std::vector<Token> out;
    if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);  // [CLS]
    std::vector<TextFragment> frags;
    split_special(text, parse_special, frags);
    for (const TextFragment& f : frags) {
      if (f.id >= 0)
        out.push_back(f.id);
      else
        tokenize(f.text, out);
    }
    if (add_special && sep_ >= 0) out.push_back(sep_);  // [SEP]
    return out;
  }

  std::string token_to_piece(Token id, bool special) const override {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return {};
    const TokenAttr a = attrs_[static_cast<size_t>(id)];
    const std::string& text = tokens_[static_cast<size_t>(id)];
    if (a == TokenAttr::control || a == TokenAttr::unknown) return special ? text : std::string();
    if (a == TokenAttr::user_defined) return text;
    if (a != TokenAttr::normal) return {};
    std::string out;
    for (size_t pos = 0; pos < text.size();) {  // "▁" back to a space
      if (text.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
        out += ' ';
        pos += kSpaceMark.size();
      } else {
        out += text[pos++];
      }
    }
    return out;
  }

 private:
  // llama.cpp's preprocess: words after normalisation; punctuation etc. are one-character words.
  static void split(std::string_view text, std::vector<std::string>& words) {
    words.assign(1, std::string());
    size_t pos = 0;
    while (pos < text.size()) {
      const uint32_t cpt = u::nfd_first(u::decode_utf8(text, pos));
      const uint16_t f = u::flags(cpt);
      if (f & u::kWhitespace) {
        if (!words.back().empty()) words.emplace_back();
        continue;
      }
      if (cpt == 0 || cpt == u::kReplacement || (f & u::kControl)) continue;
      const uint32_t low = u::to_lower(cpt);
      if ((f & u::kPunctuation) || (cpt < 0x7F && (f & u::kSymbol)) || is_chinese_char(cpt)) {
        if (!words.back().empty()) words.emplace_back();
        u::append_utf8(words.back(), low);
        words.emplace_back();
      } else {
        u::append_utf8(words.back(), low);
      }
    }
    if (words.back().empty()) words.pop_back();
  }

  void tokenize(std::string_view text, std::vector<Token>& out) const {
    std::vector<std::string> words;
    split(text, words);
    std::string key;
    for (const std::string& word : words) {
      const std::string w = std::string(kSpaceMark) + word;
      const size_t n = w.size();
      const size_t before = out.size();
      for (size_t i = 0; i < n; ++i) {
        bool match = false;
        for (size_t j = std::min(n, i + max_len_ + 1); j > i; --j) {  // longest byte prefix first
          key.assign(w, i, j - i);
          if (Token id = id_of(key); id >= 0) {
            out.push_back(id);
            match = true;
            i = j - 1;
            break;
          }
        }
        if (!match) {  // one unmatched position discards the whole word
          out.resize(before);
          break;
        }
      }
      if (out.size() == before && unk_ >= 0) out.push_back(unk_);
    }
  }

  size_t max_len_ = 0;  // longest token text in bytes
};

}  // namespace

Result<std::shared_ptr<const Tokenizer>> make_wpm_tokenizer(const gguf::File& file) {
  auto tok = std::make_shared<WpmTokenizer>();
  CHORD_TRY(tok->load(file));
  return std::shared_ptr<const Tokenizer>(std::move(tok));
}

}  // namespace chord
