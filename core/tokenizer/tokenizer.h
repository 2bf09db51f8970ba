// Tokenizers driven by GGUF metadata: SentencePiece-style ("llama") and byte-level BPE ("gpt2")
// with the pre-tokenizer named by tokenizer.ggml.pre. Plus a streaming-safe detokenizer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/status.h"
#include "core/gguf/gguf.h"

namespace chord {

using Token = int32_t;

// tokenizer.ggml.token_type values (llama.cpp LLAMA_TOKEN_TYPE_*)
enum class TokenAttr : int32_t {
  undefined = 0,
  normal = 1,
  unknown = 2,
  control = 3,
  user_defined = 4,
  unused = 5,
  byte = 6,
};

class Tokenizer {
 public:
  static Result<std::shared_ptr<const Tokenizer>> from_gguf(const gguf::File& file);
  virtual ~Tokenizer() = default;

  // add_special: add BOS/EOS as the metadata says (add_bos_token / add_eos_token and model
  // defaults). parse_special: control and user-defined tokens written in the text become tokens.
  virtual std::vector<Token> encode(std::string_view text, bool add_special, bool parse_special) const = 0;
  // Bytes of one token. Control tokens give "" unless special is true; an id outside the
  // vocabulary gives "" (callers that need an error check the id against vocab_size()).
  virtual std::string token_to_piece(Token id, bool special) const = 0;
  // Whole-sequence decode (handles SPM's leading-space removal after BOS).
  std::string decode(const std::vector<Token>& ids, bool special) const;

  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  Token bos() const { return bos_; }  // -1 if none
  Token eos() const { return eos_; }  // -1 if none
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool is_eog(Token id) const;  // end of generation: eos, eot, eom and other EOG tokens
  bool is_control(Token id) const;
  // Vocabulary text of a token; "" for an id outside the vocabulary (no exception: wasm has none).
  const std::string& token_text(Token id) const {
    static const std::string kNone;
    return id >= 0 && static_cast<size_t>(id) < tokens_.size() ? tokens_[static_cast<size_t>(id)] : kNone;
  }
  // Finds a token by its exact vocabulary text, -1 if absent.
  Token find(std::string_view text) const;
  std::string_view model() const { return model_; }  // "llama" or "gpt2"
  std::string_view pre() const { return pre_; }
  bool add_space_prefix() const { return add_space_prefix_; }  // SPM: decode strips one space

 protected:
  std::string model_, pre_;
  std::vector<std::string> tokens_;
  std::vector<TokenAttr> attrs_;
  std::vector<Token> eog_;
  Token bos_ = -1, eos_ = -1;
  bool add_bos_ = false, add_eos_ = false;
  // Filled by TokenizerBase::load_common (tokenizer_internal.h).
  std::unordered_map<std::string, Token> ids_;  // token text -> id (highest id wins), for find()
  bool add_space_prefix_ = false;               // SPM: encode prepends a space, so decode strips one
  bool clean_spaces_ = false;                   // BPE/WPM: decode drops spaces before ?!., and 's 'm 're 've
};

// Turns a token stream into text without ever emitting a broken UTF-8 character: bytes of an
// incomplete character are held back until a later token completes it (or flush()).
class StreamDecoder {
 public:
  explicit StreamDecoder(std::shared_ptr<const Tokenizer> tok, bool special = false)
      : tok_(std::move(tok)), special_(special) {}
  std::string push(Token id);  // complete UTF-8 text ready now (may be empty)
  std::string flush();         // whatever is held back (invalid bytes become U+FFFD)
  // The stream continues after `prev` (e.g. the last prompt token): SPM's prefix space is only
  // removed from text that starts right after BOS, never from a continuation.
  void continue_after(Token prev) { first_ = prev == tok_->bos() && prev >= 0; }

 private:
  std::shared_ptr<const Tokenizer> tok_;
  bool special_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace chord
