// Test helper: builds a Llama-3 byte-level BPE vocabulary GGUF (like llama.cpp's
// models/ggml-vocab-llama-bpe.gguf) in memory from shared/models/bpe-llama3.2 (encoder.json with
// the 128000 base tokens, vocab.bpe with the merges) plus Llama 3.1/3.2's 256 special tokens.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/gguf/gguf.h"
#include "core/gguf/keys.h"
#include "tests/cpp/tokenizer/vocab_vectors.h"

namespace chord::test {

inline constexpr int32_t kLlama3BaseTokens = 128000;
inline constexpr int32_t kLlama3Vocab = 128256;

// Text of special token `id` (128000..128255) as Llama 3.1/3.2's tokenizer defines them.
inline std::string llama3_special_text(int32_t id) {
  switch (id - kLlama3BaseTokens) {
    case 0:
      return "<|begin_of_text|>";
    case 1:
      return "<|end_of_text|>";
    case 2:
      return "<|reserved_special_token_0|>";
    case 3:
      return "<|reserved_special_token_1|>";
    case 4:
      return "<|finetune_right_pad_id|>";
    case 5:
      return "<|reserved_special_token_2|>";
    case 6:
      return "<|start_header_id|>";
    case 7:
      return "<|end_header_id|>";
    case 8:
      return "<|eom_id|>";
    case 9:
      return "<|eot_id|>";
    case 10:
      return "<|python_tag|>";
    default:
      return "<|reserved_special_token_" + std::to_string(id - kLlama3BaseTokens - 8) + "|>";
  }
}

namespace detail {

inline void append_utf8_cpt(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// A JSON string starting at s[i] == '"'; moves i past it. False on malformed input.
inline bool json_string(const std::string& s, size_t& i, std::string& out) {
  out.clear();
  if (i >= s.size() || s[i] != '"') return false;
  ++i;
  auto hex4 = [&](uint32_t& v) {
    if (i + 4 > s.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  };
  while (i < s.size()) {
    const char c = s[i++];
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= s.size()) return false;
    const char e = s[i++];
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t v;
        if (!hex4(v)) return false;
        if (v >= 0xD800 && v <= 0xDBFF && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
          i += 2;
          uint32_t lo;
          if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
          v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8_cpt(out, v);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

inline void skip_ws(const std::string& s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
}

}  // namespace detail

// encoder.json ({"token": id, ...}) -> tokens by id. Every id in [0, n) must appear exactly once.
inline Status parse_encoder_json(const std::string& s, size_t n, std::vector<std::string>& tokens) {
  tokens.assign(n, std::string());
  std::vector<bool> seen(n, false);
  size_t i = 0, count = 0;
  detail::skip_ws(s, i);
  if (i >= s.size() || s[i++] != '{') return {Code::invalid_argument, "encoder.json: no '{'"};
  std::string key;
  for (;;) {
    detail::skip_ws(s, i);
    if (i < s.size() && s[i] == '}') break;
    if (!detail::json_string(s, i, key)) return {Code::invalid_argument, "encoder.json: bad key"};
    detail::skip_ws(s, i);
    if (i >= s.size() || s[i++] != ':') return {Code::invalid_argument, "encoder.json: no ':'"};
    detail::skip_ws(s, i);
    uint64_t id = 0;
    const size_t digits_at = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && id < (1u << 30)) id = id * 10 + uint64_t(s[i++] - '0');
    if (i == digits_at || id >= n || seen[id]) return {Code::invalid_argument, "encoder.json: bad id for " + key};
    seen[id] = true;
    tokens[id] = key;
    ++count;
    detail::skip_ws(s, i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '}') break;
    return {Code::invalid_argument, "encoder.json: expected ',' or '}'"};
  }
  if (count != n)
    return {Code::invalid_argument,
            "encoder.json: " + std::to_string(count) + " tokens, expected " + std::to_string(n)};
  return Status::Ok();
}

// The GGUF bytes: tokenizer.ggml.model "gpt2", pre "llama-bpe", 128256 tokens (base ones normal,
// specials control), the merges in file order, bos 128000, eos 128001, eom 128008, eot 128009.
inline Result<std::vector<uint8_t>> build_llama3_vocab_gguf() {
  std::string enc, bpe;
  const std::string dir = model_path("bpe-llama3.2");
  if (!read_text_file(dir + "/encoder.json", enc) || !read_text_file(dir + "/vocab.bpe", bpe)) {
    return Result<std::vector<uint8_t>>(Code::io_error, "cannot read " + dir + "/encoder.json or vocab.bpe");
  }
  std::vector<std::string> tokens;
  CHORD_TRY(parse_encoder_json(enc, kLlama3BaseTokens, tokens));
  std::vector<int32_t> types(kLlama3BaseTokens, 1);  // normal
  for (int32_t id = kLlama3BaseTokens; id < kLlama3Vocab; ++id) {
    tokens.push_back(llama3_special_text(id));
    types.push_back(3);  // control
  }
  std::vector<std::string> merges;
  for (size_t pos = 0; pos < bpe.size();) {
    size_t end = bpe.find('\n', pos);
    if (end == std::string::npos) end = bpe.size();
    std::string line = bpe.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line.rfind("#version", 0) != 0) merges.push_back(std::move(line));
    pos = end + 1;
  }
  gguf::Writer w;
  w.set_string(keys::kArchitecture, "llama");
  w.set_string(keys::kName, "llama-bpe vocab (test)");
  w.set_string(keys::kTokModel, "gpt2");
  w.set_string(keys::kTokPre, "llama-bpe");
  w.set_string_array(keys::kTokTokens, tokens);
  w.set_i32_array(keys::kTokTypes, types);
  w.set_string_array(keys::kTokMerges, merges);
  w.set_u32(keys::kTokBos, 128000);
  w.set_u32(keys::kTokEos, 128001);
  w.set_u32(keys::kTokEom, 128008);
  w.set_u32(keys::kTokEot, 128009);
  w.set_bool(keys::kTokAddBos, true);
  return w.finish();
}

}  // namespace chord::test
