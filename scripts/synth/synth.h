// chord-synth: synthetic decoder and encoder (bert, nomic-bert) GGUF models (random weights, real vocabularies) for
// equivalence tests against llama.cpp and for benchmarks. Presets, tensor type rules, generation.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/quant/types.h"

namespace chord::synth {

// One model shape. Sizes as in the GGUF metadata; head_dim 0 means n_embd / n_head.
struct Preset {
  const char* name;
  const char* arch;  // general.architecture: llama | qwen2 | qwen3 | smollm3 | granite | gemma2 | gemma3 | phi3 |
                     // olmo2 | bert | nomic-bert
  int32_t n_embd;    // residual width
  int32_t n_layer;
  int32_t n_head;
  int32_t n_head_kv;
  int32_t head_dim;  // attention.key_length (written only when != n_embd / n_head or qk_norm)
  int32_t n_ff;      // SwiGLU hidden width
  int32_t n_ctx;     // context_length
  float rope_base;
  float rms_eps;      // encoders: the LayerNorm epsilon (attention.layer_norm_epsilon)
  bool qkv_bias;      // attn_{q,k,v}.bias (qwen2; bert: also every other bias)
  bool qk_norm;       // attn_{q,k}_norm.weight (qwen3 per head; olmo2 over all of q and k)
  bool tied;          // no output.weight: the output projection reuses token_embd
  const char* vocab;  // vocab GGUF, relative to the models dir (shared/models)
  const char* pre;    // tokenizer.ggml.pre to write, nullptr = keep the vocab's
  int add_bos;        // tokenizer.ggml.add_bos_token: -1 keep the vocab's, 0/1 set
  const char* about;  // one line for --list
  // Optional shape details (0 = none); the per-architecture metadata and tensors llama.cpp expects
  // (soft-caps, multipliers, post-norms, fused tensors, LongRoPE factors) come from `arch` in generate.cpp.
  int32_t n_rot = 0;           // rope.dimension_count when partial (phi-4-mini), 0 = head_dim
  int32_t sliding_window = 0;  // attention.sliding_window (gemma2/3; phi3 writes it, llama.cpp ignores it)
  float rope_factor = 0;       // rope.scaling.factor: linear (gemma3 global layers) or LongRoPE's ratio
  int32_t rope_orig_ctx = 0;   // phi3: rope.scaling.original_context_length (long factors beyond it)
  int32_t n_vocab = 0;         // pad the copied vocab with reserved control tokens to this size, 0 = keep
};

const std::vector<Preset>& presets();
const Preset* find_preset(std::string_view name);

// What --type asks for: one base type for every 2-D weight ("pure", like llama-quantize --pure),
// or the Q4_K_M mix (llama.cpp's llama_tensor_get_type rules for LLAMA_FTYPE_MOSTLY_Q4_K_M).
struct TypeChoice {
  std::string name;    // as given: F16, Q4_0, Q4_K_M, ...
  GgmlType base;       // default type of 2-D weights
  bool q4_k_m;         // apply the Q4_K_M mix rules
  uint32_t file_type;  // general.file_type (llama_ftype)
};
std::optional<TypeChoice> parse_type(std::string_view name);
std::string type_names();  // for the usage text

enum class Role {
  token_embd,
  output,
  attn_q,
  attn_k,
  attn_v,
  attn_output,
  ffn_gate,
  ffn_up,
  ffn_down
};  // fused attn_qkv: attn_q

// The type of one 2-D weight: the mix rules, then llama.cpp's fallback when the row length is
// not a multiple of the block size (Q2_K/Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0,
// then F16 if even that does not fit).
GgmlType weight_type(const TypeChoice& tc, Role role, int32_t layer, int32_t n_layer, int64_t row_len, bool tied);

// Scales of the random weights (standard deviations are these over sqrt(fan-in)). The defaults
// keep the model well-conditioned for equivalence tests: the residual stream is dominated by the
// token embedding (exact in every implementation) and each layer adds a small update, so float
// rounding differences between implementations are not amplified into different activation
// quantizations layer after layer (random deep nets with 8-bit activations are otherwise
// chaotic: llama.cpp with flash attention on vs off then disagrees by ~0.1 in logits).
struct Scales {
  double logit = 10.0;       // std of the output logits for a unit-RMS final hidden state
  double attn = 1.0;         // q/k projections: attention scores ~ N(0, attn^2) before softmax
  double resid = 0.1;        // RMS of each residual update (attn_output, ffn_down) / RMS of token_embd rows
                             // (0.1: dropping all layers changes ~97% of greedy tokens; 10% changes ~3%)
  double embd = 1.0;         // RMS of token_embd rows when untied (tied: logit / sqrt(n_embd))
  double norm_noise = 0.05;  // norm weights are 1 + norm_noise * N(0, 1)
  double bias = 0.1;  // std of q/k/v biases (larger ones make the v bias a constant that every position predicts from)
};

// --tensor-type NAME_PART=TYPE: every 2-D weight whose name contains NAME_PART gets TYPE
// (first match wins; like llama-quantize --tensor-type), for narrowing down differences.
struct TypeOverride {
  std::string name_part;
  GgmlType type;
};

struct Options {
  const Preset* preset = nullptr;
  TypeChoice type;
  std::optional<GgmlType> output_type;  // output.weight (and token_embd when tied), else the rules
  uint64_t seed = 1;
  int32_t layers = 0;      // 0: the preset's
  std::string vocab_path;  // "": models dir + preset vocab
  std::string out_path;
  int threads = 2;
  Scales scales;
  std::vector<TypeOverride> overrides;
  bool verbose = false;
};

// Writes the model to opts.out_path.
Status generate(const Options& opts);

// The shared models folder: $WASM_CHORD_MODELS, ../shared/models, /work/shared/models.
std::string models_dir();

}  // namespace chord::synth
