// A LLaMA-family model: its description (read from GGUF metadata) and its weights as views into the
// file's bytes, checked by name, type and shape at load. Architecture differences are fields here.
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

struct ModelDesc {
  std::string arch;            // general.architecture: llama | mistral | qwen2 | qwen3
  std::string name;            // general.name, may be empty
  int32_t n_vocab = 0;
  int32_t n_embd = 0;          // residual width
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;       // GQA: n_head % n_head_kv == 0
  int32_t head_dim = 0;        // attention.key_length, default n_embd / n_head
  int32_t n_ff = 0;            // SwiGLU hidden width
  int32_t n_ctx_train = 0;
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  int32_t n_rot = 0;           // rotated dims per head (rope.dimension_count, default head_dim)
  bool rope_neox = false;      // NeoX layout rotates (i, i + n_rot/2); normal rotates (2i, 2i+1)
  float rope_freq_scale = 1.0f;  // linear scaling: positions multiplied by this (1 / factor)
  bool qkv_bias = false;       // qwen2
  bool qk_norm = false;        // qwen3: RMSNorm over each head of q and k
  bool tied_embeddings = false;  // output projection reuses token_embd

  int32_t q_dim() const { return n_head * head_dim; }
  int32_t kv_dim() const { return n_head_kv * head_dim; }
};

using Weight = kernels::Matrix;  // a view into the file's bytes

struct LayerWeights {
  Weight attn_norm;                 // (n_embd) f32
  Weight wq, wk, wv, wo;            // (n_embd -> q_dim), (n_embd -> kv_dim) x2, (q_dim -> n_embd)
  Weight bq, bk, bv;                // optional biases (q_dim), (kv_dim), (kv_dim) f32
  Weight q_norm, k_norm;            // optional (head_dim) f32
  Weight ffn_norm;                  // (n_embd) f32
  Weight ffn_gate, ffn_up, ffn_down;  // (n_embd -> n_ff) x2, (n_ff -> n_embd)
};

struct ModelWeights {
  Weight token_embd;   // (n_vocab rows of n_embd)
  Weight output_norm;  // (n_embd) f32
  Weight output;       // (n_vocab rows of n_embd); token_embd when tied
  Weight rope_freqs;   // optional (n_rot / 2) f32: per-dimension frequency divisors (Llama 3.x)
  std::vector<LayerWeights> layers;
};

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

// Reads the description from metadata (exposed for tests and tools).
Result<ModelDesc> describe(const gguf::File& file);

// Paths of all parts if `path` names part 1 of a split model (…-00001-of-00003.gguf), else {path}.
std::vector<std::string> split_part_paths(const std::string& path);

}  // namespace chord
