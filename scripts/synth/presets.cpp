// chord-synth presets (model shapes of real small models and tiny test models) and the tensor type
// rules: pure types and an imitation of llama.cpp's Q4_K_M mix (src/llama-quant.cpp).
#include <cstdio>
#include <cstdlib>

#include "scripts/synth/synth.h"

namespace chord::synth {

// Vocabularies (shared/models/vocab, see MODELS.md):
//  - llama-spm: the Llama 2 SentencePiece vocab (32000), used by TinyLlama and Mistral 7B v0.1.
//  - starcoder: a real 49152-token byte-level BPE, the size of SmolLM2's; written with pre "smollm".
//  - deepseek-llm: the largest byte-level BPE here (102400); the real Qwen2 vocab (151936) is
//    over the 4 MiB fixture limit, so qwen2.5-0.5b gets the closest modern vocab in size and kind
//    (byte-level BPE, GPT-4-style digit/word pre-splitting), written with pre "qwen2".
//  - bert-bge: the bert-base-uncased WordPiece vocab (30522) of BGE, MiniLM and nomic-embed models.
//  - gpt-2 and deepseek-coder: small byte-level BPEs for the tiny qwen presets (with pre "qwen2",
//    as Qwen2/Qwen3 GGUFs), two different vocabularies so the tokenizer check covers both.
const std::vector<Preset>& presets() {
  // clang-format off
  static const std::vector<Preset> k = {
      // name, arch, embd, layers, heads, kv, head_dim, ffn, ctx, rope base, eps, bias, qknorm, tied,
      // vocab, pre, add_bos, about
      {"tinyllama", "llama", 2048, 22, 32, 4, 0, 5632, 2048, 10000.0f, 1e-5f, false, false, false,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, -1, "TinyLlama-1.1B shape, SPM 32000"},
      {"smollm2-135m", "llama", 576, 30, 9, 3, 0, 1536, 8192, 100000.0f, 1e-5f, false, false, true,
       "vocab/ggml-vocab-starcoder.gguf", "smollm", -1, "SmolLM2-135M shape, BPE 49152 (starcoder vocab)"},
      {"qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 0, 4864, 32768, 1000000.0f, 1e-6f, true, false, true,
       "vocab/ggml-vocab-deepseek-llm.gguf", "qwen2", 0, "Qwen2.5-0.5B shape, BPE 102400 (deepseek-llm vocab)"},
      {"tiny-llama", "llama", 256, 2, 8, 4, 0, 512, 2048, 10000.0f, 1e-5f, false, false, false,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, -1, "test: llama, SPM 32000"},
      {"tiny-mistral", "llama", 512, 2, 8, 2, 0, 1536, 4096, 1000000.0f, 1e-5f, false, false, false,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, -1, "test: Mistral-like (head_dim 64, GQA 4, rope 1e6), SPM"},
      {"tiny-qwen2", "qwen2", 256, 2, 4, 2, 0, 768, 4096, 1000000.0f, 1e-6f, true, false, true,
       "vocab/ggml-vocab-gpt-2.gguf", "qwen2", 0, "test: qwen2 (q/k/v bias, tied, NeoX), BPE 50257"},
      {"tiny-qwen3", "qwen3", 256, 2, 4, 2, 128, 768, 4096, 1000000.0f, 1e-6f, false, true, true,
       "vocab/ggml-vocab-deepseek-coder.gguf", "qwen2", 0,
       "test: qwen3 (q/k norm, key_length 128 != embd/heads, tied, NeoX), BPE 32256"},
      {"tiny-smollm3", "smollm3", 256, 4, 4, 2, 0, 512, 65536, 5000000.0f, 1e-6f, false, false, true,
       "vocab/ggml-vocab-starcoder.gguf", "smollm", -1, "test: smollm3 (layer 3 without RoPE, tied), BPE 49152"},
      {"tiny-granite", "granite", 256, 2, 4, 2, 0, 512, 4096, 10000.0f, 1e-5f, false, false, true,
       "vocab/ggml-vocab-starcoder.gguf", nullptr, -1,
       "test: granite 3 (embedding/residual/attention multipliers, logit scale, tied), BPE 49152"},
      {"tiny-gemma2", "gemma2", 256, 2, 4, 2, 128, 512, 8192, 10000.0f, 1e-6f, false, false, true,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, 1,
       "test: gemma2 (GeGLU, post-norms, soft-caps 3/30, window 16 on even layers, key_length 128), SPM",
       0, 16},
      {"tiny-gemma3", "gemma3", 256, 6, 4, 1, 128, 512, 32768, 1000000.0f, 1e-6f, false, true, true,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, 1,
       "test: gemma3 (5 local window-16 : 1 global layer, local base 1e4, global linear x8, q/k norm), SPM",
       0, 16, 8.0f},
      {"tiny-phi3", "phi3", 256, 2, 4, 2, 0, 512, 4096, 10000.0f, 1e-5f, false, false, false,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, -1,
       "test: phi3 (fused qkv and gate/up, LongRoPE long factors + attn factor, 48 of 64 dims rotated), SPM",
       48, 2047, 32.0f, 128},
      {"tiny-olmo2", "olmo2", 256, 2, 4, 2, 0, 512, 4096, 500000.0f, 1e-6f, false, true, false,
       "vocab/ggml-vocab-starcoder.gguf", nullptr, -1,
       "test: olmo2 (no pre-norms, post-attention/FFN norms, q/k norms over all heads, NeoX, GQA 2), BPE 49152"},
      {"tiny-bert", "bert", 256, 2, 4, 4, 0, 512, 512, 10000.0f, 1e-12f, true, false, false,
       "vocab/ggml-vocab-bert-bge.gguf", nullptr, -1,
       "test: bert encoder (BGE-like: positions, token types, post-LayerNorm, GELU, CLS pooling), WordPiece"},
      {"tiny-nomic-bert", "nomic-bert", 256, 2, 4, 4, 0, 512, 2048, 1000.0f, 1e-12f, false, false, false,
       "vocab/ggml-vocab-bert-bge.gguf", nullptr, -1,
       "test: nomic-bert encoder (fused qkv, SwiGLU, NeoX RoPE, post-LayerNorm, mean pooling), WordPiece"},
      {"bge-small", "bert", 384, 12, 12, 12, 0, 1536, 512, 10000.0f, 1e-12f, true, false, false,
       "vocab/ggml-vocab-bert-bge.gguf", nullptr, -1, "BGE-small-en-v1.5 shape (bert, CLS pooling), WordPiece 30522"},
      {"gemma3-1b", "gemma3", 1152, 26, 4, 1, 256, 6912, 32768, 1000000.0f, 1e-6f, false, true, true,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, 1, "Gemma-3-1B shape (window 512), SPM 32000 vocab", 0, 512},
      {"phi3.5-mini", "phi3", 3072, 32, 32, 32, 0, 8192, 131072, 10000.0f, 1e-5f, false, false, false,
       "vocab/ggml-vocab-llama-spm.gguf", nullptr, -1, "Phi-3.5-mini shape (LongRoPE 4096 -> 131072), SPM 32000",
       0, 262144, 32.0f, 4096},
      {"llama3.2-3b", "llama", 3072, 28, 24, 8, 0, 8192, 131072, 500000.0f, 1e-5f, false, false, true,
       "vocab/ggml-vocab-deepseek-llm.gguf", nullptr, -1,
       "Llama-3.2-3B shape (tied), BPE 102400 (deepseek-llm vocab; the real one has 128256)"},
      {"llama3.1-8b", "llama", 4096, 32, 32, 8, 0, 14336, 131072, 500000.0f, 1e-5f, false, false, false,
       "vocab/ggml-vocab-deepseek-llm.gguf", nullptr, -1,
       "Llama-3.1-8B shape (Q4_0 > 4 GB: the Memory64 build), BPE 128256 (deepseek-llm's 102400 + reserved "
       "control tokens)", 0, 0, 0, 0, 128256},
      {"smollm3-3b", "smollm3", 2048, 36, 16, 4, 0, 11008, 65536, 5000000.0f, 1e-6f, false, false, true,
       "vocab/ggml-vocab-starcoder.gguf", "smollm", -1, "SmolLM3-3B shape (NoPE every 4th layer), BPE 49152"},
  };
  // clang-format on
  return k;
}

const Preset* find_preset(std::string_view name) {
  for (const Preset& p : presets())
    if (name == p.name) return &p;
  return nullptr;
}

namespace {

struct TypeName {
  const char* name;
  GgmlType base;
  bool q4_k_m;
  uint32_t file_type;  // llama_ftype (include/llama.h); K types map to their _S variant
};

// The grid I-quants (IQ2_XXS .. IQ1_M) and TQ1_0 / TQ2_0 get random valid blocks: no quantizer here
// (fill_rows, generate.cpp).
constexpr TypeName kTypes[] = {
    {"F32", GgmlType::F32, false, 0},          {"F16", GgmlType::F16, false, 1},
    {"BF16", GgmlType::BF16, false, 32},       {"Q8_0", GgmlType::Q8_0, false, 7},
    {"Q4_0", GgmlType::Q4_0, false, 2},        {"Q4_1", GgmlType::Q4_1, false, 3},
    {"Q5_0", GgmlType::Q5_0, false, 8},        {"Q5_1", GgmlType::Q5_1, false, 9},
    {"Q2_K", GgmlType::Q2_K, false, 10},       {"Q3_K", GgmlType::Q3_K, false, 11},
    {"Q4_K", GgmlType::Q4_K, false, 14},       {"Q5_K", GgmlType::Q5_K, false, 16},
    {"Q6_K", GgmlType::Q6_K, false, 18},       {"Q4_K_M", GgmlType::Q4_K, true, 15},
    {"IQ4_NL", GgmlType::IQ4_NL, false, 25},   {"IQ4_XS", GgmlType::IQ4_XS, false, 30},
    {"IQ2_XXS", GgmlType::IQ2_XXS, false, 19}, {"IQ2_XS", GgmlType::IQ2_XS, false, 20},
    {"IQ2_S", GgmlType::IQ2_S, false, 28},     {"IQ3_XXS", GgmlType::IQ3_XXS, false, 23},
    {"IQ3_S", GgmlType::IQ3_S, false, 26},     {"IQ1_S", GgmlType::IQ1_S, false, 24},
    {"IQ1_M", GgmlType::IQ1_M, false, 31},     {"TQ1_0", GgmlType::TQ1_0, false, 36},
    {"TQ2_0", GgmlType::TQ2_0, false, 37},
};

// llama-quant.cpp use_more_bits: the first and last eighth of the layers and every third between.
bool use_more_bits(int32_t i, int32_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

uint32_t block_of(GgmlType t) {
  const TypeInfo* ti = type_info(t);
  return ti ? ti->block_size : 1;
}

}  // namespace

std::optional<TypeChoice> parse_type(std::string_view name) {
  for (const TypeName& t : kTypes) {
    std::string_view n = t.name;
    if (n.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < n.size(); ++i)
      eq = eq && (n[i] == name[i] || (name[i] >= 'a' && name[i] <= 'z' && n[i] == name[i] - 32));
    if (eq) return TypeChoice{t.name, t.base, t.q4_k_m, t.file_type};
  }
  return std::nullopt;
}

std::string type_names() {
  std::string s;
  for (const TypeName& t : kTypes) {
    if (!s.empty()) s += ' ';
    s += t.name;
  }
  return s;
}

GgmlType weight_type(const TypeChoice& tc, Role role, int32_t layer, int32_t n_layer, int64_t row_len, bool tied) {
  GgmlType t = tc.base;
  if (tc.q4_k_m) {
    // Output (and a tied token_embd, which is the output too): Q6_K, or Q8_0 when rows do not
    // fit 256-blocks. Everything else Q4_K except half-or-so of attn_v / ffn_down in Q6_K.
    if (role == Role::output || (tied && role == Role::token_embd)) {
      t = row_len % 256 == 0 ? GgmlType::Q6_K : GgmlType::Q8_0;
    } else if ((role == Role::attn_v || role == Role::ffn_down) && use_more_bits(layer, n_layer)) {
      t = GgmlType::Q6_K;
    }
  }
  if (row_len % block_of(t) != 0) {
    switch (t) {
      case GgmlType::Q2_K:
      case GgmlType::Q3_K:
      case GgmlType::TQ1_0:  // llama-quant.cpp: Q4_0 for the ternary types too
      case GgmlType::TQ2_0:
        t = GgmlType::Q4_0;
        break;
      case GgmlType::Q4_K:
        t = GgmlType::Q5_0;
        break;
      case GgmlType::Q5_K:
        t = GgmlType::Q5_1;
        break;
      case GgmlType::Q6_K:
        t = GgmlType::Q8_0;
        break;
      case GgmlType::IQ4_XS:
      case GgmlType::IQ2_XXS:  // llama-quant.cpp's fallback for the I-quants
      case GgmlType::IQ2_XS:
      case GgmlType::IQ2_S:
      case GgmlType::IQ3_XXS:
      case GgmlType::IQ3_S:
      case GgmlType::IQ1_S:
      case GgmlType::IQ1_M:
        t = GgmlType::IQ4_NL;
        break;
      default:
        break;
    }
    if (row_len % block_of(t) != 0) t = GgmlType::F16;
  }
  return t;
}

std::string models_dir() {
  std::vector<std::string> c;
  if (const char* e = std::getenv("WASM_CHORD_MODELS")) c.push_back(e);
  c.push_back("../shared/models");
  c.push_back("/work/shared/models");
  for (const std::string& d : c) {
    if (std::FILE* f = std::fopen((d + "/MODELS.md").c_str(), "rb")) {
      std::fclose(f);
      return d;
    }
  }
  return c.front();
}

}  // namespace chord::synth
