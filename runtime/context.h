// An inference context over a Model: the KV cache (runtime/kv_cache.h, sized by the requested
// context length), scratch buffers sized once at create(), and the batched forward pass. Positions
// continue across eval() calls; eval_packed() runs several independent sequences in one batch.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "kernels/thread_pool.h"
#include "runtime/kv_cache.h"
#include "runtime/model.h"

namespace chord {

struct ContextOptions {
  int32_t n_ctx = 0;     // KV cache length; 0 = min(training context, 4096)
  int32_t n_batch = 64;  // prompt tokens per forward chunk (bounds scratch memory); non-causal models: n_ctx
  int32_t threads = 1;   // total threads for kernels (1 = caller only)
  bool kv_f32 = false;   // KV cache in f32 instead of f16 (llama.cpp's default is f16; f32 is exact)
  // The forward pass and the KV cache live outside (the JS WebGPU backend): no KV cache or scratch
  // is allocated; eval(), eval_hidden() and shift() only record what the caller must do
  // (take_pending()): apply the shifts to its cache, then evaluate the tokens and hand the logits
  // to the Generator (set_logits) or pool the hidden states (embed.h pool_hidden).
  bool external = false;
};

// A context shift recorded by an external context (see Context::shift): the caller's cache rows
// n_keep + n_discard .. n_past - 1 move down by n_discard in every layer, their keys re-rotated by
// -n_discard positions (each layer's RoPE; none on NoPE layers).
struct PendingShift {
  int32_t n_keep = 0;
  int32_t n_discard = 0;
  int32_t n_past = 0;  // rows the caller's cache held when the shift was made
};

// What an external context recorded since the last take_pending(): shifts to apply first, in order,
// then tokens to evaluate at positions pos... hidden: eval_hidden() recorded them, so the caller
// returns every token's output-normed final hidden state (n, n_embd) instead of logits.
struct PendingEval {
  std::vector<PendingShift> shifts;
  int32_t pos = 0;
  std::vector<Token> tokens;
  bool hidden = false;
};

// What a context of given options needs, checked against the memory limits before anything is allocated.
struct ContextPlan {
  ContextOptions opts;  // with defaults filled in
  KvCacheShape kv;
  uint64_t kv_bytes = 0;
  uint64_t scratch_bytes = 0;
  std::string sizes;  // "a context of N tokens needs … of KV cache + … of scratch[ beside the model's …]"
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(std::shared_ptr<const Model> model, ContextOptions opts);
  // The sizes create() checks (out_of_memory with the exact sizes when they cannot fit), from the
  // model's description and weight shapes alone: also usable with a plan_model() before a download.
  static Result<ContextPlan> plan(const ModelDesc& d, const ModelWeights& w, uint64_t file_bytes, ContextOptions opts);

  // Runs the transformer over `tokens` at positions n_past() .. n_past()+n-1, processed as batches
  // of up to n_batch tokens. logits receives n_vocab floats per token if all_logits, else only the
  // last token's. On abort or error the tokens of completed batches stay in the cache.
  Status eval(std::span<const Token> tokens, bool all_logits, std::vector<float>& logits);
  // Runs `tokens` as eval() does, but instead of logits writes every token's final hidden state
  // (after the output norm, before the output projection: what llama.cpp's embeddings read) into
  // hidden, (tokens.size(), n_embd). An external context records them (PendingEval::hidden) and
  // leaves hidden empty; non-causal models are unsupported there.
  // A non-causal model (ModelDesc::causal false) needs the whole sequence in one batch: from
  // position 0 and at most n_batch tokens (n_batch is n_ctx for them).
  Status eval_hidden(std::span<const Token> tokens, std::vector<float>& hidden);
  // Independent sequences packed into one forward batch (sum of lens <= n_batch), each from
  // position 0 and attending only within itself, into an empty context; hidden as eval_hidden,
  // rows in the order of `tokens` (the sequences one after another). The cache is left holding
  // them: truncate(0) before continuing any one sequence.
  Status eval_packed(std::span<const Token> tokens, std::span<const int32_t> lens, std::vector<float>& hidden);

  // Forget positions >= n (keeps a shared prefix for the next turn of a chat). Keeps nothing when
  // sliding-window layers have already dropped rows that continuing at n would need.
  void truncate(int32_t n);
  // llama.cpp's context shift: forgets positions n_keep .. n_keep + n_discard - 1 and moves the later
  // ones down, re-rotating their cached keys for the new positions (RoPE is a rotation, so rotating
  // by -n_discard positions gives the keys as if computed there). unsupported with sliding-window rings.
  // External contexts record it (PendingEval::shifts); tokens already pending must lie after the
  // discarded ones, and move down with them.
  Status shift(int32_t n_keep, int32_t n_discard);
  bool can_shift() const { return !(opts_.external ? rings_ : kv_.has_rings()); }
  bool external() const { return opts_.external; }
  // External contexts: the shifts and tokens recorded since the last call (then cleared).
  PendingEval take_pending();
  // Length of the common prefix of `tokens` and what the cache holds that can be kept (see truncate).
  int32_t common_prefix(std::span<const Token> tokens) const;

  int32_t n_past() const { return static_cast<int32_t>(history_.size()); }
  int32_t n_ctx() const { return n_ctx_; }
  int32_t n_batch() const { return opts_.n_batch; }
  const std::vector<Token>& history() const { return history_; }
  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& model_ptr() const { return model_; }
  uint64_t memory_bytes() const;  // KV cache + scratch (0 for external contexts)

  // Checked between layers; when it becomes true eval() returns Code::aborted.
  std::atomic<bool>& abort_flag() { return abort_; }

 private:
  Status check_tokens(std::span<const Token> tokens) const;  // vocabulary range and room in the context
  // External contexts: appends tokens to the pending ones (for logits, or hidden states) and history.
  Status record(std::span<const Token> tokens, bool hidden);
  // The next batch's layout (pos_, lo_, hi_): n tokens of one sequence continuing at n_past(), or
  // sequences of lens packed from n_past().
  void layout_sequence(int64_t n);
  void layout_packed(std::span<const int32_t> lens);
  // One batch (laid out first) through every layer. Outputs, each optional: logits (all rows if
  // all_logits, else the last row's), hidden ((n, n_embd) output-normed states).
  Status forward_batch(std::span<const Token> tokens, bool all_logits, float* logits, float* hidden = nullptr);
  // Token (+ type, + position) embeddings of the batch into x_ (LayerNormed in encoders).
  void embed_tokens(std::span<const Token> tokens);
  // n rows of n_embd: RMSNorm (decoders) or LayerNorm with bias b (encoders) with weight w.
  void norm_rows(const float* x, const Weight& w, const Weight& b, float* out, int64_t n) const;
  // The two blocks of a layer: each reads the residual x_ (normed first in pre-norm decoders)
  // and leaves its output in o_ (n, n_embd).
  void attention_block(int32_t il, int64_t n);
  void ffn_block(int32_t il, int64_t n);
  // Fills rope_cos_/rope_sin_ for the batch's positions pos_ with a layer's RoPE base and scale
  // (kept while consecutive layers share them).
  void rope_table(const LayerDesc& l, int64_t n);

  std::shared_ptr<const Model> model_;
  ContextOptions opts_;
  int32_t n_ctx_ = 0;
  std::unique_ptr<kernels::ThreadPool> pool_;
  std::vector<Token> history_;
  PendingEval pending_;  // external contexts: recorded, not yet evaluated by the caller
  bool rings_ = false;   // external contexts: a CPU cache of these options would have rings (no shift, as there)
  std::atomic<bool> abort_{false};
  const float* rope_factors_ = nullptr;   // (n_rot / 2) frequency divisors: rope_freqs, or LongRoPE long/short by n_ctx
  float rope_base_ = 0, rope_scale_ = 0;  // what rope_cos_/rope_sin_ hold now (0: nothing yet)

  KvCache kv_;
  // Scratch, sized for n_batch tokens at create() (nothing grows during eval()).
  std::vector<float> x_;    // (n_batch, n_embd) residual stream
  std::vector<float> h_;    // (n_batch, max(n_embd, q_dim)) normed block input / attention output
  std::vector<float> qkv_;  // (n_batch, q_dim + 2 kv_dim): each token's q, k, v
  std::vector<float> o_;    // (n_batch, n_embd) block outputs
  std::vector<float> gu_;   // (n_batch, 2 n_ff): each token's gate and up, then (n_batch, n_ff) activations
  std::vector<float> rope_cos_, rope_sin_;  // (n_batch, n_rot/2)
  // The batch's layout: each token's position in its sequence (RoPE, position_embd) and the cache
  // positions it attends to, [lo, hi) (causal: hi = its own cache position + 1).
  std::vector<int32_t> pos_, lo_, hi_;  // (n_batch)
  std::vector<float> scores_;           // (threads, n_head / n_head_kv, n_ctx)
  std::vector<uint8_t> act_;            // activations converted for matmul: max matmul_act_bytes over the weights
};

}  // namespace chord
