// A tiny but complete LLaMA-family GGUF built in memory (SPM or byte-level BPE vocabulary, seeded
// weights), editable before writing: metadata values and tensors can be replaced or removed, so
// hostile tests and the model-load fuzzer can make every kind of broken model from one recipe.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/gguf/keys.h"
#include "core/quant/quant.h"
#include "core/quant/types.h"
#include "core/tokenizer/unicode.h"

namespace chord::test {

struct TinySpec {
  std::string arch = "llama";  // llama | mistral | qwen2 | qwen3 (qwen2: qkv biases, qwen3: q/k norm) |
                               // gemma3 (q/k norms, post-norms, window 2) | phi3 (fused qkv and gate/up, LongRoPE)
  std::string tok = "llama";   // llama (SPM, byte fallback) | gpt2 (byte-level BPE)
  int32_t n_embd = 32, n_layer = 1, n_head = 4, n_head_kv = 2, n_ff = 32, n_ctx_train = 64;
  int32_t head_dim = 0;            // 0: n_embd / n_head; else written as attention.key_length
  GgmlType wtype = GgmlType::F32;  // matmul weights (norms and biases stay f32)
  bool tied = true;                // no output.weight
  uint64_t seed = 1;
};

inline gguf::Value v_u32(uint32_t x) {
  gguf::Value v;
  v.type = gguf::ValueType::u32;
  v.u = x;
  return v;
}
inline gguf::Value v_i32(int32_t x) {
  gguf::Value v;
  v.type = gguf::ValueType::i32;
  v.i = x;
  return v;
}
inline gguf::Value v_u64(uint64_t x) {
  gguf::Value v;
  v.type = gguf::ValueType::u64;
  v.u = x;
  return v;
}
inline gguf::Value v_f32(float x) {
  gguf::Value v;
  v.type = gguf::ValueType::f32;
  v.f = x;
  return v;
}
inline gguf::Value v_f64(double x) {
  gguf::Value v;
  v.type = gguf::ValueType::f64;
  v.f = x;
  return v;
}
inline gguf::Value v_bool(bool x) {
  gguf::Value v;
  v.type = gguf::ValueType::boolean;
  v.u = x;
  return v;
}
inline gguf::Value v_str(std::string s) {
  gguf::Value v;
  v.type = gguf::ValueType::string;
  v.s = std::move(s);
  return v;
}
inline gguf::Value v_strs(std::vector<std::string> s) {
  gguf::Value v;
  v.type = gguf::ValueType::array;
  v.elem_type = gguf::ValueType::string;
  v.strings = std::move(s);
  return v;
}
template <class T>
gguf::Value v_nums(gguf::ValueType elem, const std::vector<T>& xs) {
  gguf::Value v;
  v.type = gguf::ValueType::array;
  v.elem_type = elem;
  v.numbers.assign(xs.begin(), xs.end());
  return v;
}

struct TinyTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> ne;    // ne[0] contiguous
  std::vector<uint8_t> data;  // row_size(type, ne[0]) * rows bytes
};

// Floats -> tensor bytes of `type` (rows of ne[0]).
inline TinyTensor make_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, const std::vector<float>& f) {
  TinyTensor t{std::move(name), type, std::move(ne), {}};
  const int64_t cols = t.ne[0];
  const int64_t rows = static_cast<int64_t>(f.size()) / cols;
  const uint64_t rb = row_size(type, cols);
  t.data.resize(rb * static_cast<uint64_t>(rows));
  for (int64_t r = 0; r < rows; ++r) quant::quantize_row(type, f.data() + r * cols, t.data.data() + r * rb, cols);
  return t;
}

class TinyModel {
 public:
  std::vector<std::pair<std::string, gguf::Value>> kv;
  std::vector<TinyTensor> tensors;
  uint32_t alignment = 32;

  void set(const std::string& key, gguf::Value v) {
    for (auto& [k, old] : kv)
      if (k == key) {
        old = std::move(v);
        return;
      }
    kv.emplace_back(key, std::move(v));
  }
  void erase(const std::string& key) {
    for (size_t i = 0; i < kv.size(); ++i)
      if (kv[i].first == key) {
        kv.erase(kv.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
  }
  gguf::Value* get(const std::string& key) {
    for (auto& [k, v] : kv)
      if (k == key) return &v;
    return nullptr;
  }
  std::string arch_key(std::string_view suffix) const {
    for (const auto& [k, v] : kv)
      if (k == keys::kArchitecture) return keys::arch_key(v.s, suffix);
    return std::string(suffix);
  }
  TinyTensor* tensor(const std::string& name) {
    for (auto& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
  bool remove_tensor(const std::string& name) {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == name) {
        tensors.erase(tensors.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
    return false;
  }
  // Replaces (or adds) a tensor with seeded f32 values of the given shape and type.
  void put_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne, uint64_t seed = 7) {
    int64_t n = 1;
    for (int64_t e : ne) n *= e;
    std::vector<float> f(static_cast<size_t>(n));
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (float& x : f) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      x = (static_cast<float>(static_cast<int32_t>(s >> 40) % 1000) / 1000.0f) * 0.5f;
    }
    TinyTensor t = make_tensor(name, type, std::move(ne), f);
    if (TinyTensor* old = tensor(name))
      *old = std::move(t);
    else
      tensors.push_back(std::move(t));
  }

  std::vector<uint8_t> bytes() const {
    gguf::Writer w;
    for (const auto& [k, v] : kv) w.set_value(k, v);
    if (alignment != 32) w.set_alignment(alignment);
    for (const auto& t : tensors) {
      Status s = w.add_tensor(t.name, t.type, t.ne, t.data);
      CHORD_CHECK(s.ok());
    }
    return w.finish();
  }
};

// SPM vocabulary: <unk> <s> </s>, the 256 byte tokens, "▁" and a few words.
inline void add_spm_vocab(TinyModel& m) {
  std::vector<std::string> toks = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    toks.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
    types.push_back(6);
  }
  for (const char* w :
       {"\xE2\x96\x81", "\xE2\x96\x81O", "\xE2\x96\x81t", "e", "h", "\xE2\x96\x81the", "nce", "\xE2\x96\x81Once",
        "\xE2\x96\x81"
        "a",
        "\xE2\x96\x81upon", "\xE2\x96\x81time"}) {
    toks.push_back(w);
    types.push_back(1);
  }
  std::vector<float> scores(toks.size(), 0.0f);
  for (size_t i = 259; i < toks.size(); ++i) scores[i] = -static_cast<float>(i - 258);
  m.set(std::string(keys::kTokModel), v_str("llama"));
  m.set(std::string(keys::kTokTokens), v_strs(toks));
  m.set(std::string(keys::kTokScores), v_nums(gguf::ValueType::f32, scores));
  m.set(std::string(keys::kTokTypes), v_nums(gguf::ValueType::i32, types));
  m.set(std::string(keys::kTokBos), v_u32(1));
  m.set(std::string(keys::kTokEos), v_u32(2));
  m.set(std::string(keys::kTokUnk), v_u32(0));
  m.set(std::string(keys::kTokAddBos), v_bool(true));
}

// Byte-level BPE vocabulary: the 256-symbol byte alphabet, a few merges, <|endoftext|>.
inline void add_bpe_vocab(TinyModel& m) {
  std::vector<std::string> toks;
  std::vector<int32_t> types;
  for (int b = 0; b < 256; ++b) {
    toks.emplace_back(unicode::byte_to_utf8(static_cast<uint8_t>(b)));
    types.push_back(1);
  }
  const std::vector<std::string> merges = {"\xC4\xA0 t", "h e", "\xC4\xA0t he", "i n", "o n"};
  for (const char* w : {"\xC4\xA0t", "he", "\xC4\xA0the", "in", "on"}) {
    toks.push_back(w);
    types.push_back(1);
  }
  toks.push_back("<|endoftext|>");
  types.push_back(3);
  m.set(std::string(keys::kTokModel), v_str("gpt2"));
  m.set(std::string(keys::kTokPre), v_str("qwen2"));
  m.set(std::string(keys::kTokTokens), v_strs(toks));
  m.set(std::string(keys::kTokTypes), v_nums(gguf::ValueType::i32, types));
  m.set(std::string(keys::kTokMerges), v_strs(merges));
  const uint32_t eot = static_cast<uint32_t>(toks.size() - 1);
  m.set(std::string(keys::kTokBos), v_u32(eot));
  m.set(std::string(keys::kTokEos), v_u32(eot));
}

inline int32_t vocab_count(TinyModel& m) {
  const gguf::Value* v = m.get(std::string(keys::kTokTokens));
  return v ? static_cast<int32_t>(v->strings.size()) : 0;
}

inline TinyModel make_tiny(const TinySpec& s = {}) {
  TinyModel m;
  m.set(std::string(keys::kArchitecture), v_str(s.arch));
  m.set(std::string(keys::kName), v_str("tiny " + s.arch));
  auto ak = [&](std::string_view suffix) { return keys::arch_key(s.arch, suffix); };
  m.set(ak(keys::kContextLength), v_u32(static_cast<uint32_t>(s.n_ctx_train)));
  m.set(ak(keys::kEmbeddingLength), v_u32(static_cast<uint32_t>(s.n_embd)));
  m.set(ak(keys::kBlockCount), v_u32(static_cast<uint32_t>(s.n_layer)));
  m.set(ak(keys::kFeedForwardLength), v_u32(static_cast<uint32_t>(s.n_ff)));
  m.set(ak(keys::kHeadCount), v_u32(static_cast<uint32_t>(s.n_head)));
  m.set(ak(keys::kHeadCountKv), v_u32(static_cast<uint32_t>(s.n_head_kv)));
  if (s.head_dim) m.set(ak(keys::kKeyLength), v_u32(static_cast<uint32_t>(s.head_dim)));
  m.set(ak(keys::kRmsEps), v_f32(1e-5f));
  m.set(ak(keys::kRopeFreqBase), v_f32(10000.0f));
  if (s.arch == "gemma3") m.set(ak(keys::kSlidingWindow), v_u32(2));
  if (s.arch == "phi3") m.set(ak(keys::kRopeScalingOrigCtx), v_u32(4));
  if (s.tok == "gpt2")
    add_bpe_vocab(m);
  else
    add_spm_vocab(m);

  const int64_t E = s.n_embd, V = vocab_count(m), HD = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
  const int64_t Q = s.n_head * HD, KV = s.n_head_kv * HD, F = s.n_ff;
  uint64_t seed = s.seed * 1000;
  m.put_tensor("token_embd.weight", s.wtype, {E, V}, ++seed);
  m.put_tensor("output_norm.weight", GgmlType::F32, {E}, ++seed);
  if (!s.tied) m.put_tensor("output.weight", s.wtype, {E, V}, ++seed);
  for (int32_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    m.put_tensor(p + "attn_norm.weight", GgmlType::F32, {E}, ++seed);
    if (s.arch == "phi3") {
      m.put_tensor(p + "attn_qkv.weight", s.wtype, {E, Q + 2 * KV}, ++seed);
    } else {
      m.put_tensor(p + "attn_q.weight", s.wtype, {E, Q}, ++seed);
      m.put_tensor(p + "attn_k.weight", s.wtype, {E, KV}, ++seed);
      m.put_tensor(p + "attn_v.weight", s.wtype, {E, KV}, ++seed);
    }
    m.put_tensor(p + "attn_output.weight", s.wtype, {Q, E}, ++seed);
    if (s.arch == "qwen2") {
      m.put_tensor(p + "attn_q.bias", GgmlType::F32, {Q}, ++seed);
      m.put_tensor(p + "attn_k.bias", GgmlType::F32, {KV}, ++seed);
      m.put_tensor(p + "attn_v.bias", GgmlType::F32, {KV}, ++seed);
    }
    if (s.arch == "qwen3" || s.arch == "gemma3") {
      m.put_tensor(p + "attn_q_norm.weight", GgmlType::F32, {HD}, ++seed);
      m.put_tensor(p + "attn_k_norm.weight", GgmlType::F32, {HD}, ++seed);
    }
    m.put_tensor(p + "ffn_norm.weight", GgmlType::F32, {E}, ++seed);
    if (s.arch == "phi3") {
      m.put_tensor(p + "ffn_up.weight", s.wtype, {E, 2 * F}, ++seed);
    } else {
      m.put_tensor(p + "ffn_gate.weight", s.wtype, {E, F}, ++seed);
      m.put_tensor(p + "ffn_up.weight", s.wtype, {E, F}, ++seed);
    }
    m.put_tensor(p + "ffn_down.weight", s.wtype, {F, E}, ++seed);
    if (s.arch == "gemma3") {
      m.put_tensor(p + "post_attention_norm.weight", GgmlType::F32, {E}, ++seed);
      m.put_tensor(p + "post_ffw_norm.weight", GgmlType::F32, {E}, ++seed);
    }
  }
  if (s.arch == "phi3") {
    m.put_tensor("rope_factors_long.weight", GgmlType::F32, {HD / 2}, ++seed);
    m.put_tensor("rope_factors_short.weight", GgmlType::F32, {HD / 2}, ++seed);
  }
  return m;
}

}  // namespace chord::test
