// An inference context over a Model: the KV cache (runtime/kv_cache.h, sized by the requested
// context length), scratch buffers sized once at create(), and the batched forward pass. Positions
// continue across eval() calls.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/common/status.h"
#include "kernels/thread_pool.h"
#include "runtime/kv_cache.h"
#include "runtime/model.h"

namespace chord {

struct ContextOptions {
  int32_t n_ctx = 0;     // KV cache length; 0 = min(training context, 4096)
  int32_t n_batch = 64;  // prompt tokens per forward chunk (bounds scratch memory)
  int32_t threads = 1;   // total threads for kernels (1 = caller only)
  bool kv_f32 = false;   // KV cache in f32 instead of f16 (llama.cpp's default is f16; f32 is exact)
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(std::shared_ptr<const Model> model, ContextOptions opts);

  // Runs the transformer over `tokens` at positions n_past() .. n_past()+n-1, processed as batches
  // of up to n_batch tokens. logits receives n_vocab floats per token if all_logits, else only the
  // last token's. On abort or error the tokens of completed batches stay in the cache.
  Status eval(std::span<const Token> tokens, bool all_logits, std::vector<float>& logits);

  // Forget positions >= n (keeps a shared prefix for the next turn of a chat). Keeps nothing when
  // sliding-window layers have already dropped rows that continuing at n would need.
  void truncate(int32_t n);
  // Length of the common prefix of `tokens` and what the cache holds that can be kept (see truncate).
  int32_t common_prefix(std::span<const Token> tokens) const;

  int32_t n_past() const { return static_cast<int32_t>(history_.size()); }
  int32_t n_ctx() const { return n_ctx_; }
  int32_t n_batch() const { return opts_.n_batch; }
  const std::vector<Token>& history() const { return history_; }
  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& model_ptr() const { return model_; }
  uint64_t memory_bytes() const;  // KV cache + scratch

  // Checked between layers; when it becomes true eval() returns Code::aborted.
  std::atomic<bool>& abort_flag() { return abort_; }

 private:
  Status forward_batch(std::span<const Token> tokens, bool all_logits, float* logits);

  std::shared_ptr<const Model> model_;
  ContextOptions opts_;
  int32_t n_ctx_ = 0;
  std::unique_ptr<kernels::ThreadPool> pool_;
  std::vector<Token> history_;
  std::atomic<bool> abort_{false};

  KvCache kv_;
  // Scratch, sized for n_batch tokens at create() (nothing grows during eval()).
  std::vector<float> x_;      // (n_batch, n_embd) residual stream
  std::vector<float> h_;      // (n_batch, max(n_embd, q_dim)) normed input / attention output
  std::vector<float> q_;      // (n_batch, max(q_dim, n_embd)): queries, then output projections
  std::vector<float> k_, v_;  // (n_batch, kv_dim)
  std::vector<float> g_, u_;  // (n_batch, n_ff)
  std::vector<float> rope_cos_, rope_sin_;  // (n_batch, n_rot/2)
  std::vector<float> scores_;  // (threads, n_ctx)
  std::vector<uint8_t> act_;   // activations converted for matmul: max matmul_act_bytes over the weights
};

}  // namespace chord
