// The forward pass over a batch of tokens (see context.h). One code path for every supported
// architecture, read top to bottom in forward_batch(); differences come from ModelDesc (per-layer
// windows, RoPE bases and NoPE layers, biases, q/k norms, post-norms, GELU, multipliers, soft-caps,
// the encoders' LayerNorms, position embeddings and non-causal attention).
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
    for (const Weight* m : {&l.wqkv, &l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down})
      if (present(*m)) b = std::max(b, kn::matmul_act_bytes(m->type, m->cols, n));
  return b;
}
}  // namespace

Result<ContextPlan> Context::plan(const ModelDesc& d, const ModelWeights& w, uint64_t file_bytes, ContextOptions opts) {
  if (opts.n_ctx < 0 || opts.n_batch < 0 || opts.threads < 0)
    return Status(Code::invalid_argument, "context options must not be negative");
  if (opts.n_ctx == 0) opts.n_ctx = std::min(d.n_ctx_train > 0 ? d.n_ctx_train : 4096, 4096);
  if (present(w.position_embd) && opts.n_ctx > d.n_ctx_train)
    return Status(Code::invalid_argument, "this model has learned positions for " + std::to_string(d.n_ctx_train) +
                                              " tokens; ask for a context of at most that, got " +
                                              std::to_string(opts.n_ctx));
  if (opts.n_batch == 0) opts.n_batch = 64;
  opts.n_batch = std::min(opts.n_batch, opts.n_ctx);
  // Non-causal attention sees the whole sequence, so a sequence is one batch; and its K and V stay
  // f32, as llama.cpp's cache-less encoder graph multiplies f32 tensors.
  if (!d.causal) {
    opts.n_batch = opts.n_ctx;
    opts.kv_f32 = true;
  }
  if (opts.threads == 0) opts.threads = kn::ThreadPool::hardware_threads();
  if (opts.threads > 256)
    return Status(Code::invalid_argument, "threads must be <= 256, got " + std::to_string(opts.threads));
  ContextPlan p;
  p.kv = KvCacheShape{opts.n_ctx, opts.n_batch, d.kv_dim(), d.head_dim, opts.kv_f32, {}};
  for (const LayerDesc& l : d.layers) p.kv.window.push_back(l.n_swa);
  constexpr int32_t kMaxCtx = 1 << 20;  // positions a context may hold, whatever the memory
  if (opts.external) {  // the caller holds the KV cache and runs the forward pass: nothing to allocate here
    if (opts.n_ctx > kMaxCtx)
      return Status(Code::out_of_memory, "a context of " + std::to_string(opts.n_ctx) +
                                             " tokens is over the limit of " + std::to_string(kMaxCtx) +
                                             "; ask for fewer tokens");
    p.opts = opts;
    p.sizes = "an external context of " + std::to_string(opts.n_ctx) + " tokens keeps its KV cache outside";
    return p;
  }
  const uint64_t kv_bytes = KvCache::bytes_for(p.kv);
  // Everything create() allocates is sized before allocating: bad_alloc cannot be caught (wasm
  // builds have no exceptions). On 32-bit targets the model's bytes share the same address space.
  const uint64_t nb = static_cast<uint64_t>(opts.n_batch);
  const uint64_t E = static_cast<uint64_t>(d.n_embd), Q = static_cast<uint64_t>(d.q_dim());
  const uint64_t KV = static_cast<uint64_t>(d.kv_dim()), F = static_cast<uint64_t>(d.n_ff);
  const uint64_t group = static_cast<uint64_t>(d.n_head / d.n_head_kv);
  const uint64_t scratch_floats =
      nb * (E + std::max(E, Q) + (Q + 2 * KV) + E + 2 * F + static_cast<uint64_t>(d.n_rot) + 3) +
      static_cast<uint64_t>(opts.threads) * group * static_cast<uint64_t>(opts.n_ctx);
  const uint64_t scratch = 4 * scratch_floats + act_bytes(w, opts.n_batch);
  // On 32-bit targets (wasm32) the model's bytes share the 4 GiB address space with the context.
  const uint64_t resident = sizeof(void*) == 4 ? file_bytes : 0;
#ifdef __wasm64__
  constexpr uint64_t kMaxBytes = 12ull << 30;  // KV + scratch beside a model in the 16 GiB Memory64 heap
#else
  constexpr uint64_t kMaxBytes = 3ull << 30;  // KV + scratch beyond this never fit a wasm32 heap
#endif
  constexpr uint64_t kAddressSpace = 4ull << 30;  // wasm32: model + KV + scratch must fit below this
  auto mib = [](uint64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + " MiB"; };
  const std::string need = "a context of " + std::to_string(opts.n_ctx) + " tokens needs " + mib(kv_bytes) +
                           " of KV cache + " + mib(scratch) + " of scratch";
  const std::string beside = resident ? " beside the model's " + mib(resident) + " (" +
                                            std::to_string(kv_bytes + scratch + resident) + " bytes in all)"
                                      : std::string();
  if (opts.n_ctx > kMaxCtx || kv_bytes + scratch > kMaxBytes)
    return Status(Code::out_of_memory, need + beside + ", over the " + mib(kMaxBytes) + " limit; ask for fewer tokens");
  if (kv_bytes + scratch + resident > kAddressSpace)
    return Status(Code::out_of_memory, need + beside + ", over the " + mib(kAddressSpace) +
                                           " a wasm32 heap can address; ask for fewer tokens or a smaller model");
  p.opts = opts;
  p.kv_bytes = kv_bytes;
  p.scratch_bytes = scratch;
  p.sizes = need + beside;
  return p;
}

Result<std::unique_ptr<Context>> Context::create(std::shared_ptr<const Model> model, ContextOptions options) {
  const ModelDesc& d = model->desc();
  CHORD_ASSIGN_OR_RETURN(ContextPlan plan, Context::plan(d, model->weights(), model->file_bytes(), options));
  const ContextOptions& opts = plan.opts;
  const uint64_t nb = static_cast<uint64_t>(opts.n_batch);
  const uint64_t E = static_cast<uint64_t>(d.n_embd), Q = static_cast<uint64_t>(d.q_dim());
  const uint64_t KV = static_cast<uint64_t>(d.kv_dim()), F = static_cast<uint64_t>(d.n_ff);
  const uint64_t group = static_cast<uint64_t>(d.n_head / d.n_head_kv);
  auto c = std::unique_ptr<Context>(new Context());
  c->model_ = std::move(model);
  c->opts_ = opts;
  c->n_ctx_ = opts.n_ctx;
  if (opts.external) {  // no KV cache, scratch or threads: see ContextOptions::external
    for (int32_t il = 0; il < d.n_layer; ++il) c->rings_ |= KvCache::layer_rows(plan.kv, il) < opts.n_ctx;
    return c;
  }
  // Probe once with malloc, which returns null instead of throwing when the heap cannot grow.
  if (void* probe = std::malloc(static_cast<size_t>(plan.kv_bytes + plan.scratch_bytes)))
    std::free(probe);
  else
    return Status(Code::out_of_memory, plan.sizes + ", which could not be allocated; ask for fewer tokens");
  c->pool_ = std::make_unique<kn::ThreadPool>(opts.threads);
  c->kv_.allocate(std::move(plan.kv));
  c->act_.resize(act_bytes(c->model_->weights(), opts.n_batch));
  c->x_.resize(nb * E);
  c->h_.resize(nb * std::max(E, Q));
  c->qkv_.resize(nb * (Q + 2 * KV));
  c->o_.resize(nb * E);
  c->gu_.resize(nb * 2 * F);
  c->rope_cos_.resize(nb * static_cast<uint64_t>(d.n_rot / 2));
  c->rope_sin_.resize(nb * static_cast<uint64_t>(d.n_rot / 2));
  c->pos_.resize(nb);
  c->lo_.resize(nb);
  c->hi_.resize(nb);
  // Per thread: the scores of one GQA group (n_head / n_head_kv query heads) over the context.
  c->scores_.resize(static_cast<size_t>(c->pool_->size()) * group * static_cast<uint64_t>(opts.n_ctx));
  const Weight& f = rope_factors(d, c->model_->weights(), opts.n_ctx);
  c->rope_factors_ = f.data ? f.f32() : nullptr;
  return c;
}

uint64_t Context::memory_bytes() const {
  uint64_t n = kv_.bytes();
  for (const auto* s : {&x_, &h_, &qkv_, &o_, &gu_, &rope_cos_, &rope_sin_, &scores_}) n += s->size() * 4;
  for (const auto* s : {&pos_, &lo_, &hi_}) n += s->size() * 4;
  return n + act_.capacity();
}

void Context::truncate(int32_t n) {
  if (n < n_past()) history_.resize(static_cast<size_t>(kv_.keepable(std::max(0, n))));
  // An external context's caller evaluates positions in order: drop pending tokens past the end.
  const int32_t keep = std::max(0, std::min(n_past() - pending_.pos, static_cast<int32_t>(pending_.tokens.size())));
  pending_.tokens.resize(static_cast<size_t>(keep));
}

PendingEval Context::take_pending() {
  PendingEval p = std::move(pending_);
  pending_ = PendingEval{};
  pending_.pos = n_past();
  return p;
}

Status Context::record(std::span<const Token> tokens, bool hidden) {
  if (!pending_.tokens.empty() && pending_.hidden != hidden)
    return Status(Code::invalid_argument,
                  "an external context records tokens for logits or for hidden states, not both at once");
  if (pending_.tokens.empty()) {
    pending_.pos = n_past();
    pending_.hidden = hidden;
  }
  pending_.tokens.insert(pending_.tokens.end(), tokens.begin(), tokens.end());
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  return Status::Ok();
}

Status Context::shift(int32_t n_keep, int32_t n_discard) {
  const ModelDesc& d = model_->desc();
  if (!can_shift())
    return Status(Code::unsupported, "context shift is not available for models with sliding-window layers");
  if (n_keep < 0 || n_discard <= 0 || n_keep + n_discard > n_past())
    return Status(Code::invalid_argument, "cannot shift " + std::to_string(n_discard) + " tokens after " +
                                              std::to_string(n_keep) + " of " + std::to_string(n_past()));
  if (opts_.external) {  // recorded for the caller's cache (PendingShift), before the pending tokens
    const bool tokens = !pending_.tokens.empty();
    if (tokens && pending_.pos < n_keep + n_discard)
      return Status(Code::invalid_argument, "cannot shift away tokens that are not evaluated yet");
    pending_.shifts.push_back(PendingShift{n_keep, n_discard, tokens ? pending_.pos : n_past()});
    if (tokens) pending_.pos -= n_discard;
    history_.erase(history_.begin() + n_keep, history_.begin() + n_keep + n_discard);
    return Status::Ok();
  }
  const int32_t half = d.n_rot / 2;
  std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
  float base = 0, scale = 0;  // what cs/sn hold
  kv_.shift(n_keep, n_discard, n_past(), [&](int32_t il, float* k) {
    const LayerDesc& l = d.layers[static_cast<size_t>(il)];
    if (!l.use_rope) return;
    if (l.rope_base != base || l.rope_freq_scale != scale) {  // a pure rotation: no magnitude factor
      kn::rope_angles(-n_discard, d.n_rot, l.rope_base, l.rope_freq_scale, rope_factors_, cs.data(), sn.data());
      base = l.rope_base;
      scale = l.rope_freq_scale;
    }
    for (int32_t h = 0; h < d.n_head_kv; ++h) kn::rope(k + h * d.head_dim, cs.data(), sn.data(), d.n_rot, d.rope_neox);
  });
  history_.erase(history_.begin() + n_keep, history_.begin() + n_keep + n_discard);
  return Status::Ok();
}

int32_t Context::common_prefix(std::span<const Token> tokens) const {
  size_t i = 0;
  while (i < tokens.size() && i < history_.size() && tokens[i] == history_[i]) ++i;
  return i < history_.size() ? kv_.keepable(static_cast<int32_t>(i)) : static_cast<int32_t>(i);
}

Status Context::check_tokens(std::span<const Token> tokens) const {
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
  return Status::Ok();
}

Status Context::eval(std::span<const Token> tokens, bool all_logits, std::vector<float>& logits) {
  const ModelDesc& d = model_->desc();
  if (!model_->weights().output.data || !d.causal)
    return Status(Code::unsupported, d.arch + " is an embedding model (no causal language-model head): use embed");
  CHORD_TRY(check_tokens(tokens));
  logits.resize((all_logits ? tokens.size() : 1) * static_cast<size_t>(d.n_vocab));
  if (opts_.external) {  // recorded for the caller's forward pass (ContextOptions::external)
    if (all_logits) return Status(Code::unsupported, "an external context returns no logits itself");
    return record(tokens, false);
  }
  for (size_t off = 0; off < tokens.size(); off += static_cast<size_t>(opts_.n_batch)) {
    const size_t n = std::min(tokens.size() - off, static_cast<size_t>(opts_.n_batch));
    const bool last = off + n == tokens.size();
    float* out = all_logits ? logits.data() + off * d.n_vocab : (last ? logits.data() : nullptr);
    layout_sequence(static_cast<int64_t>(n));
    CHORD_TRY(forward_batch(tokens.subspan(off, n), all_logits, out));
  }
  return Status::Ok();
}

Status Context::eval_hidden(std::span<const Token> tokens, std::vector<float>& hidden) {
  const size_t E = static_cast<size_t>(model_->desc().n_embd);
  CHORD_TRY(check_tokens(tokens));
  if (!model_->desc().causal && (n_past() > 0 || tokens.size() > static_cast<size_t>(opts_.n_batch)))
    return Status(Code::invalid_argument, "a non-causal model evaluates a whole sequence at once, from position 0");
  if (opts_.external) {  // recorded for the caller's forward pass (PendingEval::hidden)
    hidden.clear();
    return record(tokens, true);
  }
  hidden.resize(tokens.size() * E);
  for (size_t off = 0; off < tokens.size(); off += static_cast<size_t>(opts_.n_batch)) {
    const size_t n = std::min(tokens.size() - off, static_cast<size_t>(opts_.n_batch));
    layout_sequence(static_cast<int64_t>(n));
    CHORD_TRY(forward_batch(tokens.subspan(off, n), false, nullptr, hidden.data() + off * E));
  }
  return Status::Ok();
}

Status Context::eval_packed(std::span<const Token> tokens, std::span<const int32_t> lens, std::vector<float>& hidden) {
  const size_t E = static_cast<size_t>(model_->desc().n_embd);
  if (opts_.external)
    return Status(Code::unsupported,
                  "an external context records one sequence at a time (eval_hidden), not packed ones");
  CHORD_TRY(check_tokens(tokens));
  int64_t total = 0;
  for (int32_t len : lens) {
    if (len <= 0) return Status(Code::invalid_argument, "packed sequences must not be empty");
    total += len;
  }
  if (total != static_cast<int64_t>(tokens.size()) || total > opts_.n_batch || n_past() > 0)
    return Status(Code::invalid_argument,
                  "packed sequences must fill one batch of an empty context: " + std::to_string(total) +
                      " tokens in lens, " + std::to_string(tokens.size()) + " given, batch " +
                      std::to_string(opts_.n_batch));
  hidden.resize(tokens.size() * E);
  layout_packed(lens);
  return forward_batch(tokens, false, nullptr, hidden.data());
}

void Context::layout_sequence(int64_t n) {
  const int32_t pos0 = n_past();
  const bool causal = model_->desc().causal;  // non-causal: the whole sequence is this batch (eval_hidden)
  for (int64_t t = 0; t < n; ++t) {
    const int32_t p = pos0 + static_cast<int32_t>(t);
    pos_[static_cast<size_t>(t)] = p;
    lo_[static_cast<size_t>(t)] = 0;
    hi_[static_cast<size_t>(t)] = causal ? p + 1 : pos0 + static_cast<int32_t>(n);
  }
}

void Context::layout_packed(std::span<const int32_t> lens) {
  const bool causal = model_->desc().causal;
  int32_t start = n_past();
  size_t t = 0;
  for (int32_t len : lens) {
    for (int32_t i = 0; i < len; ++i, ++t) {
      pos_[t] = i;
      lo_[t] = start;
      hi_[t] = causal ? start + i + 1 : start + len;
    }
    start += len;
  }
}

Status Context::forward_batch(std::span<const Token> tokens, bool all_logits, float* logits, float* hidden) {
  const ModelDesc& d = model_->desc();
  const ModelWeights& w = model_->weights();
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t E = d.n_embd;
  // x += residual_scale * post_norm(o), then (encoders' post-norm layers) x = norm(x).
  auto residual_add = [&](const Weight& post_norm, const Weight& sum_norm, const Weight& sum_norm_b) {
    for (int64_t t = 0; t < n; ++t) {
      float* o = o_.data() + t * E;
      if (post_norm.data) kn::rms_norm(o, post_norm.f32(), o, E, d.norm_eps);
      if (d.residual_scale != 1.0f) kn::scale(o, d.residual_scale, E);
      kn::add(x_.data() + t * E, o, E);
    }
    if (sum_norm.data) norm_rows(x_.data(), sum_norm, sum_norm_b, x_.data(), n);
  };

  embed_tokens(tokens);
  rope_base_ = rope_scale_ = 0;  // positions changed: the RoPE table is recomputed
  for (int32_t il = 0; il < d.n_layer; ++il) {
    if (abort_.load(std::memory_order_relaxed)) return Status(Code::aborted, "aborted");
    const LayerWeights& L = w.layers[static_cast<size_t>(il)];
    attention_block(il, n);
    residual_add(L.attn_post_norm, L.attn_out_norm, L.attn_out_norm_b);
    ffn_block(il, n);
    residual_add(L.ffn_post_norm, L.layer_out_norm, L.layer_out_norm_b);
  }
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  if (hidden) {  // encoders end with their last layer's norm: no output norm
    if (w.output_norm.data)
      norm_rows(x_.data(), w.output_norm, Weight{}, hidden, n);
    else
      std::copy(x_.begin(), x_.begin() + n * E, hidden);
  }
  if (!logits) return Status::Ok();
  // Only the rows whose logits are wanted go through the (large) output projection.
  const int64_t first = all_logits ? 0 : n - 1;
  norm_rows(x_.data() + first * E, w.output_norm, Weight{}, h_.data(), n - first);
  kn::matmul(w.output, h_.data(), n - first, logits, d.n_vocab, act_, *pool_);
  const int64_t n_out = (n - first) * d.n_vocab;
  if (d.logit_scale != 1.0f) kn::scale(logits, d.logit_scale, n_out);
  if (d.final_softcap > 0) kn::softcap(logits, n_out, d.final_softcap);
  return Status::Ok();
}

void Context::embed_tokens(std::span<const Token> tokens) {
  const ModelDesc& d = model_->desc();
  const ModelWeights& w = model_->weights();
  const int64_t E = d.n_embd, n = static_cast<int64_t>(tokens.size());
  // llama.cpp's bert graph: token type 0 ("sentence A") for every token, then the position row.
  float* extra = o_.data();  // (n_embd) scratch for one dequantized row
  for (int64_t t = 0; t < n; ++t) {
    float* x = x_.data() + t * E;
    kn::get_row(w.token_embd, tokens[static_cast<size_t>(t)], x);
    if (d.embd_scale != 1.0f) kn::scale(x, d.embd_scale, E);
    if (w.token_types.data) {
      kn::get_row(w.token_types, 0, extra);
      kn::add(x, extra, E);
    }
    if (w.position_embd.data) {
      kn::get_row(w.position_embd, pos_[static_cast<size_t>(t)], extra);
      kn::add(x, extra, E);
    }
  }
  if (w.embd_norm.data) norm_rows(x_.data(), w.embd_norm, w.embd_norm_b, x_.data(), n);
}

void Context::norm_rows(const float* x, const Weight& w, const Weight& b, float* out, int64_t n) const {
  const ModelDesc& d = model_->desc();
  const int64_t E = d.n_embd;
  for (int64_t t = 0; t < n; ++t) {
    if (d.norm == NormKind::layer)
      kn::layer_norm(x + t * E, w.f32(), b.data ? b.f32() : nullptr, out + t * E, E, d.norm_eps);
    else
      kn::rms_norm(x + t * E, w.f32(), out + t * E, E, d.norm_eps);
  }
}

void Context::rope_table(const LayerDesc& l, int64_t n) {
  if (l.rope_base == rope_base_ && l.rope_freq_scale == rope_scale_) return;
  const ModelDesc& d = model_->desc();
  const int32_t half = d.n_rot / 2;
  for (int64_t t = 0; t < n; ++t) {
    float* cs = rope_cos_.data() + t * half;
    float* sn = rope_sin_.data() + t * half;
    kn::rope_angles(pos_[static_cast<size_t>(t)], d.n_rot, l.rope_base, l.rope_freq_scale, rope_factors_, cs, sn);
    if (d.rope_attn_factor != 1.0f) {  // LongRoPE's magnitude correction (ggml's mscale)
      kn::scale(cs, d.rope_attn_factor, half);
      kn::scale(sn, d.rope_attn_factor, half);
    }
  }
  rope_base_ = l.rope_base;
  rope_scale_ = l.rope_freq_scale;
}

// norm (pre-norm decoders) -> q, k, v (fused or apart, + biases) -> q/k norms, per head RoPE, q scale
// -> KV cache -> attention over the positions each token sees -> output projection (+ bias) into o_.
void Context::attention_block(int32_t il, int64_t n) {
  const ModelDesc& d = model_->desc();
  const LayerDesc& ld = d.layers[static_cast<size_t>(il)];
  const LayerWeights& L = model_->weights().layers[static_cast<size_t>(il)];
  kn::ThreadPool& pool = *pool_;
  const int64_t E = d.n_embd, Q = d.q_dim(), KV = d.kv_dim(), HD = d.head_dim, S = Q + 2 * KV;
  const int32_t half_rot = d.n_rot / 2, group = d.n_head / d.n_head_kv;
  const int32_t pos0 = n_past();  // cache position of the batch's first token
  const float* in = x_.data();
  if (L.attn_norm.data) {
    norm_rows(x_.data(), L.attn_norm, Weight{}, h_.data(), n);
    in = h_.data();
  }
  if (L.wqkv.data) {
    kn::matmul(L.wqkv, in, n, qkv_.data(), S, act_, pool);
  } else {
    kn::matmul(L.wq, in, n, qkv_.data(), S, act_, pool);
    kn::matmul(L.wk, in, n, qkv_.data() + Q, S, act_, pool);
    kn::matmul(L.wv, in, n, qkv_.data() + Q + KV, S, act_, pool);
  }
  if (ld.use_rope) rope_table(ld, n);
  for (int64_t t = 0; t < n; ++t) {
    float* q = qkv_.data() + t * S;
    float* k = q + Q;
    float* v = k + KV;
    if (L.bqkv.data) kn::add(q, L.bqkv.f32(), S);
    if (L.bq.data) kn::add(q, L.bq.f32(), Q);
    if (L.bk.data) kn::add(k, L.bk.f32(), KV);
    if (L.bv.data) kn::add(v, L.bv.f32(), KV);
    const float* cs = rope_cos_.data() + t * half_rot;
    const float* sn = rope_sin_.data() + t * half_rot;
    // q/k norms: over each head (qwen3, gemma3), or over all of q and all of k (olmo2).
    const int64_t q_span = d.qk_norm_full ? Q : HD, k_span = d.qk_norm_full ? KV : HD;
    for (int64_t at = 0; L.q_norm.data && at < Q; at += q_span)
      kn::rms_norm(q + at, L.q_norm.f32(), q + at, q_span, d.norm_eps);
    for (int64_t at = 0; L.k_norm.data && at < KV; at += k_span)
      kn::rms_norm(k + at, L.k_norm.f32(), k + at, k_span, d.norm_eps);
    if (ld.use_rope)
      for (int32_t h = 0; h < d.n_head; ++h) kn::rope(q + h * HD, cs, sn, d.n_rot, d.rope_neox);
    if (d.scale_q) kn::scale(q, d.kq_scale, Q);
    if (ld.use_rope)
      for (int32_t h = 0; h < d.n_head_kv; ++h) kn::rope(k + h * HD, cs, sn, d.n_rot, d.rope_neox);
    kv_.store(il, pos0 + static_cast<int32_t>(t), k, v);
  }
  // Each (token, KV head) pair attends over the positions it sees for the group of query heads
  // sharing that KV head, so each cached row is read and widened once per group.
  const float scale = d.scale_q ? 1.0f : d.kq_scale;
  pool.parallel_for(n * d.n_head_kv, 1, [&](int64_t b, int64_t e, int thread) {
    float* scores = scores_.data() + static_cast<size_t>(thread) * group * n_ctx_;
    for (int64_t i = b; i < e; ++i) {
      const int64_t t = i / d.n_head_kv, kvh = i % d.n_head_kv;
      const size_t ts = static_cast<size_t>(t);
      kv_.attend(il, pos0 + static_cast<int32_t>(t), lo_[ts], hi_[ts], static_cast<int32_t>(kvh),
                 qkv_.data() + t * S + kvh * group * HD, HD, group, scale, d.attn_softcap, scores,
                 h_.data() + t * Q + kvh * group * HD, HD);
    }
  });
  kn::matmul(L.wo, h_.data(), n, o_.data(), E, act_, pool);
  if (L.bo.data)
    for (int64_t t = 0; t < n; ++t) kn::add(o_.data() + t * E, L.bo.f32(), E);
}

// norm (pre-norm decoders) -> gate and up (fused or apart) -> act(gate) * up -> down projection into
// o_; ungated (bert): gelu(up + b) -> down (+ b).
void Context::ffn_block(int32_t il, int64_t n) {
  const ModelDesc& d = model_->desc();
  const LayerWeights& L = model_->weights().layers[static_cast<size_t>(il)];
  kn::ThreadPool& pool = *pool_;
  const int64_t E = d.n_embd, F = d.n_ff;
  const float* in = x_.data();
  if (L.ffn_norm.data) {
    norm_rows(x_.data(), L.ffn_norm, Weight{}, h_.data(), n);
    in = h_.data();
  }
  if (!d.gated_ffn) {
    kn::matmul(L.ffn_up, in, n, gu_.data(), F, act_, pool);
    for (int64_t t = 0; t < n; ++t) {
      float* u = gu_.data() + t * F;
      if (L.ffn_up_b.data) kn::add(u, L.ffn_up_b.f32(), F);
      kn::gelu(u, F);
    }
    kn::matmul(L.ffn_down, gu_.data(), n, o_.data(), E, act_, pool);
    if (L.ffn_down_b.data)
      for (int64_t t = 0; t < n; ++t) kn::add(o_.data() + t * E, L.ffn_down_b.f32(), E);
    return;
  }
  if (L.ffn_gate.data) {
    kn::matmul(L.ffn_gate, in, n, gu_.data(), 2 * F, act_, pool);
    kn::matmul(L.ffn_up, in, n, gu_.data() + F, 2 * F, act_, pool);
  } else {  // fused: the first n_ff rows are the gate, the next n_ff the up projection
    kn::matmul(L.ffn_up, in, n, gu_.data(), 2 * F, act_, pool);
  }
  for (int64_t t = 0; t < n; ++t) {
    float* g = gu_.data() + t * 2 * F;
    if (d.ffn_act == FfnAct::gelu)
      kn::gelu_mul(g, g + F, F);
    else
      kn::silu_mul(g, g + F, F);
    std::memmove(gu_.data() + t * F, g, static_cast<size_t>(F) * 4);  // rows packed to (n, n_ff) in place
  }
  kn::matmul(L.ffn_down, gu_.data(), n, o_.data(), E, act_, pool);
}

}  // namespace chord
