// libFuzzer target for GBNF grammars and the grammar sampler: arbitrary grammar text (before the
// first 0xFF byte) must parse or fail with invalid_argument; a parsed grammar then drives a
// sampler over a small byte-level vocabulary with the remaining bytes choosing tokens. The trie
// mask must equal the per-token check, and accepting an allowed token must succeed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/grammar/gbnf.h"
#include "runtime/grammar_sampler.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

std::shared_ptr<const chord::GrammarVocab> vocab() {
  static const auto v = [] {
    std::vector<std::string> pieces;
    for (int b = 1; b < 256; ++b) pieces.push_back(std::string(1, static_cast<char>(b)));
    for (const char* p : {"ab", "abc", "{\"", "\":", "\xE2\x82\xAC", "\xE2\x82", "\xC3\xA9", " the", "12", "\n\n", ""})
      pieces.push_back(p);
    std::vector<uint8_t> eog(pieces.size(), 0);
    pieces.push_back("</s>");
    eog.push_back(1);
    return chord::GrammarVocab::build(pieces, eog);
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t cut = all.find('\xFF');
  const std::string_view text = all.substr(0, cut);
  const std::string_view picks = cut == std::string_view::npos ? std::string_view() : all.substr(cut + 1);
  if (text.size() > 4096) return 0;
  auto g = chord::grammar::parse_gbnf(text);
  if (!g.ok()) {
    FUZZ_REQUIRE(g.status().code() == chord::Code::invalid_argument);
    return 0;
  }
  auto s = chord::GrammarSampler::create(text, vocab());
  if (!s.ok()) {
    FUZZ_REQUIRE(s.status().code() == chord::Code::invalid_argument);
    return 0;
  }
  chord::GrammarSampler& gs = **s;
  std::vector<uint8_t> mask;
  for (size_t i = 0; i < picks.size() && i < 32; ++i) {
    if (!gs.mask(mask).ok()) return 0;  // a limit was hit: an error value, not a crash
    std::vector<chord::Token> allowed;
    for (chord::Token t = 0; t < vocab()->size(); ++t) {
      FUZZ_REQUIRE(static_cast<bool>(mask[static_cast<size_t>(t)]) == gs.allows(t));
      if (mask[static_cast<size_t>(t)]) allowed.push_back(t);
    }
    if (allowed.empty()) return 0;
    const chord::Token t = allowed[static_cast<uint8_t>(picks[i]) % allowed.size()];
    if (vocab()->eog[static_cast<size_t>(t)]) return 0;
    const chord::Status st = gs.accept(t);
    FUZZ_REQUIRE(st.ok() || !gs.error().ok());
  }
  return 0;
}
