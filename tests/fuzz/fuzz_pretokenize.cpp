// libFuzzer target: arbitrary bytes through UTF-8 decoding and every BPE pre-tokenizer. The words
// must be non-empty and join back to the text as re-encoded from its decoded code points.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace pt = chord::pretok;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string normal;
  const auto cpts = chord::unicode::to_cpts(text);
  for (uint32_t c : cpts) chord::unicode::append_utf8(normal, c);
  // The decoder is lenient as llama.cpp's is (encoded surrogates pass through), so the re-encoded
  // text need not be strict UTF-8; it must decode to the same code points (a stable round trip).
  if (chord::unicode::to_cpts(normal) != cpts) std::abort();
  const pt::Kind kinds[] = {pt::Kind::default_,   pt::Kind::gpt2,         pt::Kind::llama3,         pt::Kind::qwen2,
                            pt::Kind::seed_coder, pt::Kind::deepseek_llm, pt::Kind::deepseek_coder, pt::Kind::deepseek3,
                            pt::Kind::falcon,     pt::Kind::starcoder,    pt::Kind::poro,           pt::Kind::viking};
  std::string storage, joined;
  std::vector<std::string_view> words;
  for (pt::Kind k : kinds) {
    pt::split_words(k, text, storage, words);
    joined.clear();
    for (std::string_view w : words) {
      if (w.empty()) std::abort();
      joined += w;
    }
    if (joined != normal) std::abort();
  }
  return 0;
}
