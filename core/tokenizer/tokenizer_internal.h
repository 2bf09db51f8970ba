// Shared by the tokenizer implementations (spm.cpp, bpe/wpm files, tokenizer.cpp): the per-model
// makers the factory dispatches to, and TokenizerBase with the vocabulary state they all load.
#pragma once
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
// A maker may adjust them (e.g. add_bos per pre-tokenizer) before calling load_common.
struct VocabDefaults {
  Token bos = -1, eos = -1, unk = -1, sep = -1, pad = -1;
  bool add_bos = false, add_eos = false;
  bool add_space_prefix = false;  // SPM: prepend U+2581 before the first word
};
// "llama": bos 1, eos 2, unk 0, add_bos, add_space_prefix. "gpt2": bos = eos = 11 (llama.cpp's
// placeholder), no add_bos. "bert": bos 101 ([CLS]), unk 100, sep 102, pad 0, add_bos.
// Anything else: all -1/false.
VocabDefaults default_vocab(std::string_view model);

// One piece of input after special-token splitting: either raw text or an already-known token.
struct TextFragment {
  Token id = -1;          // >= 0: this fragment is that special token
  std::string_view text;  // id < 0: raw text to run the model's algorithm on (a view into input)
};

class TokenizerBase : public Tokenizer {
 public:
  Token unk() const { return unk_; }
  Token eot() const { return eot_; }
  Token eom() const { return eom_; }
  Token pad() const { return pad_; }
  Token sep() const { return sep_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  TokenAttr attr(Token id) const {
    return id >= 0 && static_cast<size_t>(id) < attrs_.size() ? attrs_[static_cast<size_t>(id)]
                                                              : TokenAttr::undefined;
  }

 protected:
  // Reads model/pre names, tokens, token types (missing -> normal), scores (optional), special ids
  // (bos/eos/eot/eom/unk/sep/pad; out-of-range ids from the file fall back to `d`'s, which are kept
  // only if in range), add_bos/add_eos/add_space_prefix (file overrides `d`), the text -> id map
  // used by find(), the EOG set (eos, eot, eom and tokens whose text is one of llama.cpp's EOG
  // strings, which become control tokens) and the special-token list for split_special.
  Status load_common(const gguf::File& file, const VocabDefaults& d);

  // llama.cpp tokenizer_st_partition: when parse_special, every occurrence of a control or
  // user-defined token's text (longest texts first, leftmost match) becomes a token fragment; the
  // rest stays text. Without parse_special the whole input is one text fragment. Empty input gives
  // no fragments.
  void split_special(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const;

  std::vector<float> scores_;  // (n_vocab) merge priority for SPM; empty if the file has none
  Token unk_ = -1, eot_ = -1, eom_ = -1, pad_ = -1, sep_ = -1;
  std::vector<Token> specials_;  // control + user-defined ids, longest text first
};

}  // namespace chord
