// Pre-tokenizers for byte-level BPE: tokenizer.ggml.pre names -> a hand-written splitter equivalent
// to the regex list llama.cpp uses for that name (src/llama-vocab.cpp, src/unicode.cpp), including
// the way llama.cpp's std::regex fallback sees the text (ASCII classes, '~' outside \p{S}, ...).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chord::pretok {

enum class Kind : uint8_t {
  default_,        // llama.cpp LLAMA_VOCAB_PRE_TYPE_DEFAULT (also a missing tokenizer.ggml.pre)
  gpt2,            // GPT2, MPT, OLMO, JAIS, TRILLION, GRANITE_DOCLING
  llama3,          // LLAMA3, DBRX, SMAUG, CHATGLM4: numbers in groups of up to 3
  qwen2,           // QWEN2, STABLELM2, HUNYUAN, GROK_2, BAILINGMOE: single digits
  seed_coder,      // SEED_CODER: as qwen2 but no newlines glued after punctuation
  deepseek_llm,    // DEEPSEEK_LLM
  deepseek_coder,  // DEEPSEEK_CODER
  deepseek3,       // DEEPSEEK3_LLM, HUNYUAN_DENSE
  falcon,          // FALCON
  starcoder,       // STARCODER, REFACT, COMMAND_R, SMOLLM, CODESHELL, EXAONE, MINERVA
  poro,            // PORO, BLOOM, GPT3_FINNISH
  viking,          // VIKING
};

// What a tokenizer.ggml.pre name implies besides the splitter (llama_vocab::impl::load).
struct PreTokenizer {
  Kind kind = Kind::default_;
  bool ignore_merges = false;  // a word that is a whole token skips the merges (Llama 3)
  bool add_bos = false;        // llama.cpp turns add_bos on for this name
  bool clean_spaces = true;    // decode's clean-up passes stay on
  bool no_bos = false;         // the default BOS id is cleared (chatglm)
};

// nullopt for a name llama.cpp does not know (or one not implemented here).
std::optional<PreTokenizer> find_pre_tokenizer(std::string_view name);

// Splits text into the words BPE runs on, in order, covering all of it. Invalid UTF-8 is first
// re-encoded code point by code point (bad bytes -> U+FFFD, as llama.cpp does), into `storage`;
// the words view either `text` or `storage`.
void split_words(Kind kind, std::string_view text, std::string& storage, std::vector<std::string_view>& words);

}  // namespace chord::pretok
