// Tokenizer factory (dispatch on tokenizer.ggml.model), the vocabulary loading every model shares
// (TokenizerBase::load_common, split_special) and the model-independent Tokenizer methods.
#include <algorithm>
#include <array>
#include <cctype>
#include <cfloat>
#include <cmath>
#include <string>

#include "core/gguf/keys.h"
#include "core/tokenizer/tokenizer_internal.h"

namespace chord {

namespace {

// Texts llama.cpp takes as end-of-generation tokens (llama_vocab::impl::load, "special_eog_ids").
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
};
// Candidates for the EOT id when the file names none, in the order we prefer them (llama.cpp
// takes whichever its hash map yields first).
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "<\xEF\xBD\x9C"
    "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
    "<end_of_utterance>",
};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};

// C-locale isspace, as llama.cpp's partition uses it for lstrip/rstrip.
bool is_c_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

TokenAttr attr_from_type(double v) {
  if (v >= 0 && v <= 6 && v == static_cast<double>(static_cast<int>(v))) {
    return static_cast<TokenAttr>(static_cast<int>(v));
  }
  return TokenAttr::undefined;  // llama.cpp: any other type value
}

std::string to_lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

VocabDefaults default_vocab(std::string_view model) {
  VocabDefaults d;
  if (model == "llama") {
    d.bos = 1;
    d.eos = 2;
    d.unk = 0;
    d.add_bos = true;
    d.add_space_prefix = true;
  } else if (model == "gpt2") {
    d.bos = 11;
    d.eos = 11;
    d.clean_spaces = true;
  } else if (model == "bert") {
    d.bos = 101;
    d.unk = 100;
    d.sep = 102;
    d.pad = 0;
    d.add_bos = true;
    d.clean_spaces = true;
  }
  return d;
}

Status TokenizerBase::load_common(const gguf::File& file, const VocabDefaults& d) {
  auto model = file.get_string(keys::kTokModel);
  if (!model) return {Code::bad_gguf, "tokenizer: no " + std::string(keys::kTokModel)};
  model_ = *model;
  pre_ = file.get_string(keys::kTokPre).value_or("");

  const gguf::Value* tv = file.find(keys::kTokTokens);
  if (!tv || tv->type != gguf::ValueType::array || tv->elem_type != gguf::ValueType::string) {
    return {Code::bad_gguf, "tokenizer: " + std::string(keys::kTokTokens) + " missing or not a string array"};
  }
  const size_t n = tv->strings.size();
  if (n == 0) return {Code::bad_gguf, "tokenizer: empty vocabulary"};
  if (n > static_cast<size_t>(INT32_MAX)) return {Code::bad_gguf, "tokenizer: vocabulary too large"};

  const gguf::Value* sv = file.find(keys::kTokScores);
  if (sv && (sv->type != gguf::ValueType::array || sv->numbers.size() != n)) {
    return {Code::bad_gguf, "tokenizer: scores are not a numeric array of n_vocab values"};
  }
  const gguf::Value* yv = file.find(keys::kTokTypes);
  if (yv && (yv->type != gguf::ValueType::array || yv->numbers.size() != n)) {
    return {Code::bad_gguf, "tokenizer: token types are not a numeric array of n_vocab values"};
  }

  tokens_.assign(tv->strings.begin(), tv->strings.end());
  attrs_.assign(n, TokenAttr::normal);
  scores_.assign(n, 0.0f);
  strip_.assign(n, 0);
  ids_.clear();
  ids_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (tokens_[i].empty()) tokens_[i] = "[EMPTY_" + std::to_string(i) + "]";
    ids_[tokens_[i]] = static_cast<Token>(i);  // a later duplicate wins, as in llama.cpp's map
    if (sv) {
      // Widened from the file: keep it a float without an out-of-range cast; NaN sorts last.
      const double v = sv->numbers[i];
      scores_[i] = std::isnan(v) ? -FLT_MAX : static_cast<float>(std::clamp(v, -double(FLT_MAX), double(FLT_MAX)));
    }
    if (yv) attrs_[i] = attr_from_type(yv->numbers[i]);
  }

  const auto in_range = [n](int64_t id) { return id >= 0 && static_cast<uint64_t>(id) < n; };
  const auto pick = [&](std::string_view key, Token def) -> Token {
    Token id = in_range(def) ? def : -1;
    if (auto v = file.get_int(key); v && in_range(*v)) id = static_cast<Token>(*v);
    return id;  // a bad id in the file keeps the default (llama.cpp warns "bad special token")
  };
  bos_ = pick(keys::kTokBos, d.bos);
  eos_ = pick(keys::kTokEos, d.eos);
  eot_ = pick(keys::kTokEot, -1);
  eom_ = pick(keys::kTokEom, -1);
  unk_ = pick(keys::kTokUnk, d.unk);
  sep_ = pick(keys::kTokSep, d.sep);
  pad_ = pick(keys::kTokPad, d.pad);
  Token fim_pad = pick(keys::kTokFimPad, -1);
  Token fim_rep = pick(keys::kTokFimRep, -1);
  Token fim_sep = pick(keys::kTokFimSep, -1);

  add_bos_ = file.get_bool(keys::kTokAddBos).value_or(d.add_bos);
  add_eos_ = file.get_bool(keys::kTokAddEos).value_or(d.add_eos);
  add_space_prefix_ = file.get_bool(keys::kTokAddPrefix).value_or(d.add_space_prefix);
  clean_spaces_ = d.clean_spaces;

  // Tokens llama.cpp recognises by text; any of them that is not control becomes control.
  const auto make_control = [&](Token id) { attrs_[static_cast<size_t>(id)] = TokenAttr::control; };
  const auto find_first = [&](auto const& texts) -> Token {
    for (std::string_view t : texts) {
      if (auto it = ids_.find(std::string(t)); it != ids_.end()) return it->second;
    }
    return -1;
  };
  if (eot_ < 0 && (eot_ = find_first(kEotTexts)) >= 0) make_control(eot_);
  if (eom_ < 0 && (eom_ = find_first(std::array<std::string_view, 1>{"<|eom_id|>"})) >= 0) make_control(eom_);
  if (fim_pad < 0 && (fim_pad = find_first(kFimPadTexts)) >= 0) make_control(fim_pad);
  if (fim_rep < 0 && (fim_rep = find_first(kFimRepTexts)) >= 0) make_control(fim_rep);
  if (fim_sep < 0 && (fim_sep = find_first(kFimSepTexts)) >= 0) make_control(fim_sep);

  std::vector<Token> eog;
  for (Token id : {fim_pad, fim_rep, fim_sep}) {
    if (id >= 0) eog.push_back(id);
  }
  for (std::string_view t : kEogTexts) {
    if (auto it = ids_.find(std::string(t)); it != ids_.end()) {
      eog.push_back(it->second);
      make_control(it->second);
    }
  }
  for (Token id : {eos_, eot_, eom_}) {
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  // llama.cpp workarounds: o200k_harmony / solar-open keep "<|end|>" out of EOG (it becomes
  // user-defined), gemma4 / paddleocr keep "</s>" out (it becomes normal).
  const auto eog_has = [&](std::string_view t) -> Token {
    for (Token id : eog) {
      if (tokens_[static_cast<size_t>(id)] == t) return id;
    }
    return -1;
  };
  const auto eog_drop = [&](Token id, TokenAttr a) {
    eog.erase(std::remove(eog.begin(), eog.end(), id), eog.end());
    attrs_[static_cast<size_t>(id)] = a;
  };
  const bool has_call = eog_has("<|call|>") >= 0 || eog_has("<|calls|>") >= 0;
  if (Token end = eog_has("<|end|>");
      end >= 0 && has_call && (eog_has("<|return|>") >= 0 || eog_has("<|flush|>") >= 0)) {
    eog_drop(end, TokenAttr::user_defined);
  }
  if (Token s = eog_has("</s>"); s >= 0 && eog_has("<|tool_response>") >= 0) eog_drop(s, TokenAttr::normal);
  eog_ = std::move(eog);

  specials_.clear();
  for (size_t i = 0; i < n; ++i) {
    TokenAttr a = attrs_[i];
    if (a == TokenAttr::control || a == TokenAttr::user_defined || a == TokenAttr::unknown) {
      specials_.push_back(static_cast<Token>(i));
    }
  }
  std::stable_sort(specials_.begin(), specials_.end(), [&](Token a, Token b) {
    return tokens_[static_cast<size_t>(a)].size() > tokens_[static_cast<size_t>(b)].size();
  });

  // Per-token strip flags llama.cpp sets by model name / pre-tokenizer / architecture.
  const std::string name = to_lower_ascii(file.get_string(keys::kName).value_or(""));
  const std::string arch = file.get_string(keys::kArchitecture).value_or("");
  const auto set_strip = [&](std::string_view text, uint8_t flag, bool on) {
    if (auto it = ids_.find(std::string(text)); it != ids_.end()) {
      uint8_t& f = strip_[static_cast<size_t>(it->second)];
      f = on ? static_cast<uint8_t>(f | flag) : static_cast<uint8_t>(f & ~flag);
    }
  };
  const auto contains = [](std::string_view s, std::string_view sub) { return s.find(sub) != s.npos; };
  if (contains(pre_, "jina-v2-de") || contains(pre_, "jina-v2-es") || contains(pre_, "jina-v2-code") ||
      contains(arch, "nomic-bert-moe") || contains(arch, "jina-bert-v3")) {
    set_strip("<mask>", kStripLeft, true);
  } else if (contains(name, "phi-3") || contains(name, "phi3")) {
    for (Token id : specials_) strip_[static_cast<size_t>(id)] |= kStripRight;
    set_strip("</s>", kStripRight, true);
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) set_strip(t, kStripRight, false);
  } else if (contains(name, "modern-bert")) {
    set_strip("[MASK]", kStripLeft, true);
  }
  return Status::Ok();
}

void TokenizerBase::split_special(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const {
  out.clear();
  if (text.empty()) return;
  out.push_back({-1, text});
  std::vector<TextFragment> next;
  for (Token id : specials_) {
    const TokenAttr a = attrs_[static_cast<size_t>(id)];
    if (!parse_special && (a == TokenAttr::control || a == TokenAttr::unknown)) continue;
    const std::string& st = tokens_[static_cast<size_t>(id)];
    const uint8_t strip = strip_[static_cast<size_t>(id)];
    bool any = false;
    next.clear();
    for (const TextFragment& f : out) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      while (!rest.empty()) {
        const size_t at = rest.find(st);
        if (at == std::string_view::npos) break;
        any = true;
        std::string_view left = rest.substr(0, at);
        if (strip & kStripLeft) {
          while (!left.empty() && is_c_space(left.back())) left.remove_suffix(1);
        }
        if (!left.empty()) next.push_back({-1, left});
        next.push_back({id, {}});
        rest.remove_prefix(at + st.size());
        if (strip & kStripRight) {
          while (!rest.empty() && is_c_space(rest.front())) rest.remove_prefix(1);
        }
      }
      if (!rest.empty()) next.push_back({-1, rest});
    }
    if (any) out.swap(next);
  }
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_gguf(const gguf::File& file) {
  auto model = file.get_string(keys::kTokModel);
  if (!model)
    return Result<std::shared_ptr<const Tokenizer>>(
        Code::not_found, "no tokenizer in this file (" + std::string(keys::kTokModel) + " missing)");
  if (*model == "llama") return make_spm_tokenizer(file);
  if (*model == "gpt2") return make_bpe_tokenizer(file);
  if (*model == "bert") return make_wpm_tokenizer(file);
  return Result<std::shared_ptr<const Tokenizer>>(
      Code::unsupported, "tokenizer model '" + *model + "' is not supported (llama, gpt2 and bert are)");
}

std::string Tokenizer::decode(const std::vector<Token>& ids, bool special) const {
  std::string out;
  // SPM's encode put a space before the first word; strip one from the first piece. Leading BOS
  // tokens are passed over (llama.cpp's detokenize would strip at the BOS and keep the space; we
  // strip after it so that decode(encode(text, add_special=true)) == text).
  bool strip = add_space_prefix_;
  for (Token id : ids) {
    std::string piece = token_to_piece(id, special);
    if (strip && !(id == bos_ && bos_ >= 0)) {
      if (!piece.empty() && piece[0] == ' ') piece.erase(0, 1);
      strip = false;
    }
    out += piece;
  }
  if (!clean_spaces_ || out.empty()) return out;

  // llama.cpp detokenize clean_spaces, three passes over bytes.
  // 1: " ?", " !", " .", " ," lose the space.
  std::string a;
  a.reserve(out.size());
  a += out[0];
  for (size_t i = 1; i < out.size(); ++i) {
    const char x = out[i];
    if (out[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) a.pop_back();
    a += x;
  }
  // 2: a lone apostrophe between spaces, " ' ", loses both spaces. The dropped space after it is
  // overwritten with NUL in `a`, as llama.cpp's in-place loop does, so it cannot pair again.
  std::string b;
  b.reserve(a.size());
  b += a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    const char x = a[i];
    if (x == '\'' && i + 1 < a.size() && a[i - 1] == ' ' && a[i + 1] == ' ') {
      b.pop_back();
      a[++i] = '\0';
    }
    b += x;
  }
  // 3: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
  std::string c;
  c.reserve(b.size());
  c += b[0];
  for (size_t i = 1; i < b.size(); ++i) {
    const char x = b[i];
    if (b[i - 1] == ' ' && x == '\'' && i + 1 < b.size()) {
      const char x1 = b[i + 1];
      if (x1 == 's' || x1 == 'm') {
        c.pop_back();
      } else if (i + 2 < b.size()) {
        const char x2 = b[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) c.pop_back();
      }
    }
    c += x;
  }
  return c;
}

bool Tokenizer::is_eog(Token id) const { return id >= 0 && std::binary_search(eog_.begin(), eog_.end(), id); }

bool Tokenizer::is_control(Token id) const {
  return id >= 0 && static_cast<size_t>(id) < attrs_.size() && attrs_[static_cast<size_t>(id)] == TokenAttr::control;
}

Token Tokenizer::find(std::string_view text) const {
  auto it = ids_.find(std::string(text));
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace chord
