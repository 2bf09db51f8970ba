// The LLaMA-family forward pass over a batch of tokens (see context.h). One code path for every
// supported architecture; differences come from ModelDesc (biases, q/k norm, rope layout, tying).
#include "runtime/context.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/matmul.h"
#include "kernels/nn.h"

namespace chord {

namespace kn = kernels;

namespace {
// The activation scratch the largest matmul of a batch of n tokens needs.
uint64_t act_bytes(const ModelWeights& w, int64_t n) {
  uint64_t b = kn::matmul_act_bytes(w.output.type, w.output.cols, n);
  for (const LayerWeights& l : w.layers)
    for (const Weight* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down})
      if (m->data) b = std::max(b, kn::matmul_act_bytes(m->type, m->cols, n));
  return b;
}
}  // namespace

Result<std::unique_ptr<Context>> Context::create(std::shared_ptr<const Model> model, ContextOptions opts) {
  const ModelDesc& d = model->desc();
  if (opts.n_ctx < 0 || opts.n_batch < 0 || opts.threads < 0)
    return Status(Code::invalid_argument, "context options must not be negative");
  if (opts.n_ctx == 0) opts.n_ctx = std::min(d.n_ctx_train > 0 ? d.n_ctx_train : 4096, 4096);
  if (opts.n_batch == 0) opts.n_batch = 64;
  opts.n_batch = std::min(opts.n_batch, opts.n_ctx);
  if (opts.threads == 0) opts.threads = kn::ThreadPool::hardware_threads();
  if (opts.threads > 256) return Status(Code::invalid_argument, "threads must be <= 256, got " + std::to_string(opts.threads));
  KvCacheShape kv_shape{opts.n_ctx, opts.n_batch, d.kv_dim(), d.head_dim, opts.kv_f32,
                        std::vector<int32_t>(static_cast<size_t>(d.n_layer), 0)};
  const uint64_t kv_bytes = KvCache::bytes_for(kv_shape);
  // Everything create() allocates is sized before allocating: bad_alloc cannot be caught (wasm
  // builds have no exceptions). On 32-bit targets the model's bytes share the same address space.
  const uint64_t nbatch = static_cast<uint64_t>(opts.n_batch);
  const uint64_t wide = static_cast<uint64_t>(std::max(d.n_embd, d.q_dim()));
  const uint64_t scratch =
      4 * (nbatch * (static_cast<uint64_t>(d.n_embd) + 2 * wide + 2 * static_cast<uint64_t>(d.kv_dim()) +
                 2 * static_cast<uint64_t>(d.n_ff) + static_cast<uint64_t>(d.n_rot)) +
           static_cast<uint64_t>(opts.threads) * static_cast<uint64_t>(d.n_head / d.n_head_kv) *
               static_cast<uint64_t>(opts.n_ctx)) +
      act_bytes(model->weights(), opts.n_batch);
  const uint64_t resident = sizeof(void*) == 4 ? model->file_bytes() : 0;
  constexpr uint64_t kMaxBytes = 3ull << 30;  // beyond this a wasm32 heap (4 GiB at most) cannot hold it
  auto mib = [](uint64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + " MiB"; };
  const std::string need = "a context of " + std::to_string(opts.n_ctx) + " tokens needs " + mib(kv_bytes) +
                           " of KV cache + " + mib(scratch) + " of scratch";
  if (opts.n_ctx > (1 << 20) || kv_bytes + scratch + resident > kMaxBytes)
    return Status(Code::out_of_memory, need + (resident ? " beside the model's " + mib(resident) : std::string()) +
                                           ", over the " + mib(kMaxBytes) + " limit; ask for fewer tokens");
  // Probe once with malloc, which returns null instead of throwing when the heap cannot grow.
  if (void* probe = std::malloc(static_cast<size_t>(kv_bytes + scratch))) std::free(probe);
  else return Status(Code::out_of_memory, need + ", which could not be allocated; ask for fewer tokens");

  auto c = std::unique_ptr<Context>(new Context());
  c->model_ = std::move(model);
  c->opts_ = opts;
  c->n_ctx_ = opts.n_ctx;
  c->pool_ = std::make_unique<kn::ThreadPool>(opts.threads);
  c->kv_.allocate(std::move(kv_shape));
  c->act_.resize(act_bytes(c->model_->weights(), opts.n_batch));
  const size_t nb = static_cast<size_t>(opts.n_batch);
  c->x_.resize(nb * d.n_embd);
  c->h_.resize(nb * std::max(d.n_embd, d.q_dim()));
  c->q_.resize(nb * std::max(d.n_embd, d.q_dim()));  // also holds (n, n_embd) projections
  c->k_.resize(nb * d.kv_dim());
  c->v_.resize(nb * d.kv_dim());
  c->g_.resize(nb * d.n_ff);
  c->u_.resize(nb * d.n_ff);
  c->rope_cos_.resize(nb * d.n_rot / 2);
  c->rope_sin_.resize(nb * d.n_rot / 2);
  // Per thread: the scores of one GQA group (n_head / n_head_kv query heads) over the context.
  c->scores_.resize(static_cast<size_t>(c->pool_->size()) * static_cast<size_t>(d.n_head / d.n_head_kv) * opts.n_ctx);
  return c;
}

uint64_t Context::memory_bytes() const {
  uint64_t n = kv_.bytes();
  for (const auto* s : {&x_, &h_, &q_, &k_, &v_, &g_, &u_, &rope_cos_, &rope_sin_, &scores_}) n += s->size() * 4;
  return n + act_.capacity();
}

void Context::truncate(int32_t n) {
  if (n < n_past()) history_.resize(static_cast<size_t>(kv_.keepable(std::max(0, n))));
}

int32_t Context::common_prefix(std::span<const Token> tokens) const {
  size_t i = 0;
  while (i < tokens.size() && i < history_.size() && tokens[i] == history_[i]) ++i;
  return i < history_.size() ? kv_.keepable(static_cast<int32_t>(i)) : static_cast<int32_t>(i);
}

Status Context::eval(std::span<const Token> tokens, bool all_logits, std::vector<float>& logits) {
  const ModelDesc& d = model_->desc();
  if (tokens.empty()) return Status(Code::invalid_argument, "no tokens to evaluate");
  for (Token t : tokens)
    if (t < 0 || t >= d.n_vocab)
      return Status(Code::invalid_argument, "token id " + std::to_string(t) + " is outside the vocabulary (0.." +
                                                std::to_string(d.n_vocab - 1) + ")");
  if (static_cast<int64_t>(n_past()) + static_cast<int64_t>(tokens.size()) > n_ctx_)
    return Status(Code::context_full, "context is full: " + std::to_string(n_past()) + " + " +
                                          std::to_string(tokens.size()) + " tokens exceed the context length " +
                                          std::to_string(n_ctx_));
  logits.resize((all_logits ? tokens.size() : 1) * static_cast<size_t>(d.n_vocab));
  for (size_t off = 0; off < tokens.size(); off += static_cast<size_t>(opts_.n_batch)) {
    const size_t n = std::min(tokens.size() - off, static_cast<size_t>(opts_.n_batch));
    const bool last = off + n == tokens.size();
    float* out = all_logits ? logits.data() + off * d.n_vocab : (last ? logits.data() : nullptr);
    CHORD_TRY(forward_batch(tokens.subspan(off, n), all_logits, out));
  }
  return Status::Ok();
}

Status Context::forward_batch(std::span<const Token> tokens, bool all_logits, float* logits) {
  const ModelDesc& d = model_->desc();
  const ModelWeights& w = model_->weights();
  kn::ThreadPool& pool = *pool_;
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int32_t pos0 = n_past();
  const int64_t E = d.n_embd, Q = d.q_dim(), KV = d.kv_dim(), F = d.n_ff, HD = d.head_dim;
  const int32_t half_rot = d.n_rot / 2;
  const float* freq_factors = w.rope_freqs.data ? w.rope_freqs.f32() : nullptr;

  for (int64_t t = 0; t < n; ++t) {
    kn::get_row(w.token_embd, tokens[static_cast<size_t>(t)], x_.data() + t * E);
    kn::rope_angles(pos0 + static_cast<int32_t>(t), d.n_rot, d.rope_base, d.rope_freq_scale, freq_factors,
                    rope_cos_.data() + t * half_rot, rope_sin_.data() + t * half_rot);
  }
  const float kq_scale = 1.0f / std::sqrt(static_cast<float>(HD));
  const int32_t group = d.n_head / d.n_head_kv;

  for (int32_t il = 0; il < d.n_layer; ++il) {
    if (abort_.load(std::memory_order_relaxed)) return Status(Code::aborted, "aborted");
    const LayerWeights& L = w.layers[static_cast<size_t>(il)];
    // --- attention ---
    for (int64_t t = 0; t < n; ++t) kn::rms_norm(x_.data() + t * E, L.attn_norm.f32(), h_.data() + t * E, E, d.rms_eps);
    kn::matmul(L.wq, h_.data(), n, q_.data(), Q, act_, pool);
    kn::matmul(L.wk, h_.data(), n, k_.data(), KV, act_, pool);
    kn::matmul(L.wv, h_.data(), n, v_.data(), KV, act_, pool);
    for (int64_t t = 0; t < n; ++t) {
      float* q = q_.data() + t * Q;
      float* k = k_.data() + t * KV;
      float* v = v_.data() + t * KV;
      if (L.bq.data) kn::add(q, L.bq.f32(), Q);
      if (L.bk.data) kn::add(k, L.bk.f32(), KV);
      if (L.bv.data) kn::add(v, L.bv.f32(), KV);
      const float* cs = rope_cos_.data() + t * half_rot;
      const float* sn = rope_sin_.data() + t * half_rot;
      for (int32_t h = 0; h < d.n_head; ++h) {
        if (L.q_norm.data) kn::rms_norm(q + h * HD, L.q_norm.f32(), q + h * HD, HD, d.rms_eps);
        kn::rope(q + h * HD, cs, sn, d.n_rot, d.rope_neox);
      }
      for (int32_t h = 0; h < d.n_head_kv; ++h) {
        if (L.k_norm.data) kn::rms_norm(k + h * HD, L.k_norm.f32(), k + h * HD, HD, d.rms_eps);
        kn::rope(k + h * HD, cs, sn, d.n_rot, d.rope_neox);
      }
      kv_.store(il, pos0 + static_cast<int32_t>(t), k, v);
    }
    // Each (token, KV head) pair attends over the positions it sees for the group of query heads
    // sharing that KV head, so each cached row is read and widened once per group.
    pool.parallel_for(n * d.n_head_kv, 1, [&](int64_t b, int64_t e, int thread) {
      float* scores = scores_.data() + static_cast<size_t>(thread) * group * n_ctx_;
      for (int64_t i = b; i < e; ++i) {
        const int64_t t = i / d.n_head_kv, kvh = i % d.n_head_kv;
        kv_.attend(il, pos0 + static_cast<int32_t>(t), static_cast<int32_t>(kvh), q_.data() + t * Q + kvh * group * HD,
                   HD, group, kq_scale, 0.0f, scores, h_.data() + t * Q + kvh * group * HD, HD);
      }
    });
    kn::matmul(L.wo, h_.data(), n, q_.data(), E, act_, pool);  // q_ reused as (n, E) output
    for (int64_t t = 0; t < n; ++t) kn::add(x_.data() + t * E, q_.data() + t * E, E);
    // --- feed-forward (SwiGLU) ---
    for (int64_t t = 0; t < n; ++t) kn::rms_norm(x_.data() + t * E, L.ffn_norm.f32(), h_.data() + t * E, E, d.rms_eps);
    kn::matmul(L.ffn_gate, h_.data(), n, g_.data(), F, act_, pool);
    kn::matmul(L.ffn_up, h_.data(), n, u_.data(), F, act_, pool);
    for (int64_t t = 0; t < n; ++t) kn::silu_mul(g_.data() + t * F, u_.data() + t * F, F);
    kn::matmul(L.ffn_down, g_.data(), n, q_.data(), E, act_, pool);
    for (int64_t t = 0; t < n; ++t) kn::add(x_.data() + t * E, q_.data() + t * E, E);
  }
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  if (!logits) return Status::Ok();
  // Only the rows whose logits are wanted go through the (large) output projection.
  const int64_t first = all_logits ? 0 : n - 1;
  for (int64_t t = first; t < n; ++t)
    kn::rms_norm(x_.data() + t * E, w.output_norm.f32(), h_.data() + (t - first) * E, E, d.rms_eps);
  kn::matmul(w.output, h_.data(), n - first, logits, d.n_vocab, act_, pool);
  return Status::Ok();
}

}  // namespace chord
