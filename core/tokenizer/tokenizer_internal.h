// Shared by the tokenizer implementations (spm.cpp, bpe/wpm files, tokenizer.cpp): the per-model
// makers the factory dispatches to, and TokenizerBase with the vocabulary state they all load.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/tokenizer/tokenizer.h"

namespace chord {

// Per tokenizer.ggml.model; each reads its own keys and returns unsupported/bad_gguf on trouble.
Result<std::shared_ptr<const Tokenizer>> make_spm_tokenizer(const gguf::File& file);  // "llama" (spm.cpp)
Result<std::shared_ptr<const Tokenizer>> make_bpe_tokenizer(const gguf::File& file);  // "gpt2"  (bpe)
Result<std::shared_ptr<const Tokenizer>> make_wpm_tokenizer(const gguf::File& file);  // "bert"  (wpm)

// llama.cpp's per-model defaults, used where the GGUF has no key (llama_vocab::impl::load).
// A maker may adjust them (e.g. add_bos / clean_spaces per pre-tokenizer) before load_common.
struct VocabDefaults {
  Token bos = -1, eos = -1, unk = -1, sep = -1, pad = -1;
  bool add_bos = false, add_eos = false;
  bool add_space_prefix = false;  // SPM: prepend a space (U+2581) to text after BOS/specials
  bool clean_spaces = false;      // decode's clean-up passes (llama.cpp clean_spaces)
};
// "llama": bos 1, eos 2, unk 0, add_bos, add_space_prefix. "gpt2": bos = eos = 11 (llama.cpp's
// placeholder), clean_spaces. "bert": bos 101 ([CLS]), unk 100, sep 102, pad 0, add_bos,
// clean_spaces. Anything else: all -1/false.
VocabDefaults default_vocab(std::string_view model);

// One piece of input after special-token splitting: either raw text or an already-known token.
struct TextFragment {
  Token id = -1;          // >= 0: this fragment is that special token
  std::string_view text;  // id < 0: raw text to run the model's algorithm on (a view into input)
};

// Per-token flags llama.cpp sets by model name (LLAMA_TOKEN_ATTR_LSTRIP / _RSTRIP).
inline constexpr uint8_t kStripLeft = 1;   // eat whitespace before the token when splitting
inline constexpr uint8_t kStripRight = 2;  // eat whitespace after it

class TokenizerBase : public Tokenizer {
 public:
  Token unk() const { return unk_; }
  Token eot() const { return eot_; }
  Token eom() const { return eom_; }
  Token pad() const { return pad_; }
  Token sep() const { return sep_; }
  TokenAttr attr(Token id) const {
    return id >= 0 && static_cast<size_t>(id) < attrs_.size() ? attrs_[static_cast<size_t>(id)] : TokenAttr::undefined;
  }
  float score(Token id) const {
    return id >= 0 && static_cast<size_t>(id) < scores_.size() ? scores_[static_cast<size_t>(id)] : 0.0f;
  }
  // -1 if absent (like find(), for a std::string already at hand).
  Token id_of(const std::string& text) const {
    auto it = ids_.find(text);
    return it == ids_.end() ? -1 : it->second;
  }

 protected:
  // Reads model/pre names, tokens (empty ones become "[EMPTY_<id>]" as in llama.cpp), token types
  // (missing -> normal), scores (optional), special ids (bos/eos/eot/eom/unk/sep/pad; ids out of
  // range fall back to `d`'s, which are kept only if in range), add_bos/add_eos/add_space_prefix
  // (file overrides `d`), the text -> id map used by find(), eot/eom found by text when the file
  // names none, the EOG set (eos, eot, eom, FIM pad/rep/sep and tokens whose text is one of
  // llama.cpp's EOG strings; those become control tokens), the special-token list for
  // split_special and the phi-3 rstrip / jina lstrip flags.
  Status load_common(const gguf::File& file, const VocabDefaults& d);

  // llama.cpp tokenizer_st_partition: each special token (longest text first) is cut out of every
  // remaining text fragment, leftmost occurrence first. Control and unknown tokens only when
  // parse_special; user-defined tokens always. lstrip/rstrip flags eat neighbouring whitespace.
  // Empty input gives no fragments.
  void split_special(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const;

  std::vector<float> scores_;   // (n_vocab) merge priority for SPM; 0 where the file has none
  std::vector<uint8_t> strip_;  // (n_vocab) kStripLeft | kStripRight
  Token unk_ = -1, eot_ = -1, eom_ = -1, pad_ = -1, sep_ = -1;
  std::vector<Token> specials_;  // control + user-defined + unknown ids, longest text first
};

}  // namespace chord
