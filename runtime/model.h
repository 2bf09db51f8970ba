// A transformer model (decoders, and the bert / nomic-bert encoders used for embeddings): its description (read from
// GGUF metadata) and its weights as views into the file's bytes, checked by name, type and shape at load. Architecture
// differences are fields here (per layer where they vary by layer), resolved once at load; the forward pass reads them.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/gguf/gguf.h"
#include "core/tokenizer/tokenizer.h"
#include "kernels/matmul.h"

namespace chord {

struct GrammarVocab;  // runtime/grammar_sampler.h

enum class FfnAct { silu, gelu };    // gated FFN: act(gate) * up (SwiGLU, or GeGLU with tanh GELU); bert: gelu(up)
enum class NormKind { rms, layer };  // RMSNorm (decoders) or LayerNorm with bias (bert, nomic-bert)

// What differs between layers, resolved at load (and at context creation for n_ctx-dependent parts).
struct LayerDesc {
  int32_t n_swa = 0;             // attention window in positions (sliding-window layers); 0 = whole context
  bool use_rope = true;          // false: NoPE layer (smollm3: every 4th; granite with rope.scaling.finetuned false)
  float rope_base = 10000.0f;    // gemma2/3 local layers: rope.freq_base_swa
  float rope_freq_scale = 1.0f;  // linear scaling: positions multiplied by this (1 / factor)
};

struct ModelDesc {
  std::string arch;  // general.architecture: llama | mistral | qwen2 | qwen3 | smollm3 | granite | gemma2 | gemma3 |
                     // phi3 | olmo2 | bert | nomic-bert
  std::string name;  // general.name, may be empty
  int32_t n_vocab = 0;
  int32_t n_embd = 0;  // residual width
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;  // GQA: n_head % n_head_kv == 0
  int32_t head_dim = 0;   // attention.key_length, default n_embd / n_head
  int32_t n_ff = 0;       // gated FFN hidden width
  int32_t n_ctx_train = 0;
  float norm_eps = 1e-5f;  // RMSNorm's epsilon, or LayerNorm's (attention.layer_norm_epsilon) for encoders
  NormKind norm = NormKind::rms;
  // Encoders (bert, nomic-bert), as llama.cpp's bert graph: token (+ token type 0, + position)
  // embeddings LayerNormed, then post-norm layers x = norm(x + block(x)), no output head.
  bool encoder = false;
  bool causal = true;         // <arch>.attention.causal; false: each token sees its whole sequence
  int32_t n_token_types = 0;  // encoders: tokenizer.ggml.token_type_count (rows of token_types)
  float rope_base = 10000.0f;
  int32_t n_rot = 0;              // rotated dims per head (rope.dimension_count, default head_dim; phi-4-mini: partial)
  bool rope_neox = false;         // NeoX layout rotates (i, i + n_rot/2); normal rotates (2i, 2i+1)
  float rope_freq_scale = 1.0f;   // linear scaling: positions multiplied by this (1 / factor)
  float rope_attn_factor = 1.0f;  // rope.scaling.attn_factor: cos and sin multiplied (LongRoPE)
  int32_t n_ctx_orig = 0;         // rope.scaling.original_context_length: longer contexts use rope_factors_long
  bool qkv_bias = false;          // qwen2
  bool qk_norm = false;           // qwen3, gemma3: RMSNorm over each head of q and k
  bool qk_norm_full = false;      // olmo2: the q/k norms span the whole q (q_dim) and k (kv_dim), not each head
  bool pre_norms = true;          // attn_norm / ffn_norm before the blocks; false: olmo2 (post-norms only), encoders
  bool post_norms = false;        // gemma2/3, olmo2: RMSNorm of the attention and FFN outputs before the residual add
  bool fused_ffn = false;         // phi3: ffn_up holds gate and up rows (2 n_ff), no ffn_gate
  bool gated_ffn = true;          // false (bert): down(act(up x + b)) + b, no gate
  FfnAct ffn_act = FfnAct::silu;
  float embd_scale = 1.0f;       // token embeddings multiplied (gemma: sqrt(n_embd); granite: embedding_scale)
  float residual_scale = 1.0f;   // granite: attention and FFN outputs multiplied before the residual add
  float kq_scale = 0.0f;         // attention score scale (1 / sqrt(head_dim) unless the file or arch says)
  bool scale_q = false;          // q multiplied by kq_scale before q.k (gemma, phi3 as llama.cpp) instead of the scores
  float attn_softcap = 0.0f;     // gemma2: scores soft-capped (0 = off)
  float final_softcap = 0.0f;    // gemma2/3: logits soft-capped (0 = off)
  float logit_scale = 1.0f;      // logits multiplied (granite: 1 / logit_scale)
  bool tied_embeddings = false;  // output projection reuses token_embd
  std::vector<LayerDesc> layers;  // (n_layer)

  int32_t q_dim() const { return n_head * head_dim; }
  int32_t kv_dim() const { return n_head_kv * head_dim; }
};

using Weight = kernels::Matrix;  // a view into the file's bytes

struct LayerWeights {
  Weight attn_norm;                       // (n_embd) f32; absent without pre_norms (olmo2, encoders)
  Weight wqkv;                            // fused (n_embd -> q_dim + 2 kv_dim), or else wq, wk, wv
  Weight wq, wk, wv, wo;                  // (n_embd -> q_dim), (n_embd -> kv_dim) x2, (q_dim -> n_embd)
  Weight bo;                              // optional bias of wo (n_embd) f32 (bert)
  Weight bqkv;                            // optional bias of wqkv (q_dim + 2 kv_dim) f32
  Weight bq, bk, bv;                      // optional biases (q_dim), (kv_dim), (kv_dim) f32
  Weight q_norm, k_norm;                  // optional (head_dim) f32; qk_norm_full: (q_dim), (kv_dim)
  Weight attn_post_norm;                  // post_norms: (n_embd) f32
  Weight attn_out_norm, attn_out_norm_b;  // encoders: LayerNorm of x + attention (n_embd) f32 each
  Weight ffn_norm;                        // (n_embd) f32; absent without pre_norms
  Weight ffn_gate, ffn_up, ffn_down;  // (n_embd -> n_ff) x2 (fused_ffn: no gate, up n_embd -> 2 n_ff), (n_ff -> n_embd)
  Weight ffn_up_b, ffn_down_b;        // optional biases of the ungated FFN (n_ff), (n_embd) f32 (bert)
  Weight ffn_post_norm;               // post_norms: (n_embd) f32
  Weight layer_out_norm, layer_out_norm_b;  // encoders: LayerNorm of x + FFN (n_embd) f32 each
};

struct ModelWeights {
  Weight token_embd;              // (n_vocab rows of n_embd)
  Weight token_types;             // optional, encoders: (n_token_types rows of n_embd); row 0 is added to every token
  Weight position_embd;           // bert: (n_ctx_train rows of n_embd), row p added at position p
  Weight embd_norm, embd_norm_b;  // encoders: LayerNorm of the summed embeddings (n_embd) f32 each
  Weight output_norm;             // (n_embd) f32; absent in encoders
  Weight output;                  // (n_vocab rows of n_embd); token_embd when tied; absent in encoders
  Weight rope_freqs;              // optional (n_rot / 2) f32: per-dimension frequency divisors (Llama 3.x)
  Weight rope_long, rope_short;   // optional (n_rot / 2) f32: LongRoPE divisors beyond / within n_ctx_orig
  std::vector<LayerWeights> layers;
};

// Whether an optional weight is in the file (views of a header-only plan have no data, so not `data`).
inline bool present(const Weight& w) { return w.rows > 0; }

// The RoPE frequency divisors a context of n_ctx positions uses: Llama 3's rope_freqs, else LongRoPE's
// long factors when n_ctx exceeds the original training context, short ones otherwise (llama.cpp's
// get_rope_factors); an absent view when the model has none.
inline const Weight& rope_factors(const ModelDesc& d, const ModelWeights& w, int32_t n_ctx) {
  return present(w.rope_freqs) ? w.rope_freqs : (n_ctx > d.n_ctx_orig ? w.rope_long : w.rope_short);
}

// The bytes of a model (one or more GGUF parts) and whatever keeps them alive.
struct ModelBytes {
  std::vector<std::span<const uint8_t>> parts;
  std::shared_ptr<void> owner;
};

class Model {
 public:
  static Result<std::shared_ptr<const Model>> load(ModelBytes bytes);
  // Native helper: reads a file (or split parts named *-00001-of-0000N.gguf) from disk.
  static Result<std::shared_ptr<const Model>> load_file(const std::string& path);

  const ModelDesc& desc() const { return desc_; }
  const ModelWeights& weights() const { return w_; }
  const gguf::File& gguf() const { return file_; }
  const std::shared_ptr<const Tokenizer>& tokenizer() const { return tok_; }
  std::string chat_template() const;  // "" if the file has none
  // The vocabulary as grammars see it (token pieces in a trie), built on first use and shared.
  std::shared_ptr<const GrammarVocab> grammar_vocab() const;
  uint64_t file_bytes() const;

 private:
  ModelBytes bytes_;
  gguf::File file_;
  ModelDesc desc_;
  ModelWeights w_;
  std::shared_ptr<const Tokenizer> tok_;
  mutable std::once_flag grammar_vocab_once_;
  mutable std::shared_ptr<const GrammarVocab> grammar_vocab_;
};

// A model's description and weight types and shapes from the headers of its parts alone (views
// without data): enough to size a context (Context::plan) before the weights are downloaded.
struct ModelPlan {
  ModelDesc desc;
  ModelWeights weights;     // data pointers null
  uint64_t file_bytes = 0;  // the parts' sizes summed
};
// headers[i]: the first bytes of part i (at least its whole header) of file_sizes[i] bytes.
Result<ModelPlan> plan_model(std::vector<std::span<const uint8_t>> headers, std::vector<uint64_t> file_sizes);

// Reads the description from metadata (exposed for tests and tools).
Result<ModelDesc> describe(const gguf::File& file);

// Paths of all parts if `path` names part 1 of a split model (…-00001-of-00003.gguf), else {path}.
std::vector<std::string> split_part_paths(const std::string& path);

}  // namespace chord
