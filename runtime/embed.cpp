// Pooling and normalization of final hidden states (see embed.h).
#include "runtime/embed.h"

#include <cmath>
#include <string>

#include "core/gguf/keys.h"

namespace chord {

std::string_view pooling_name(Pooling p) {
  switch (p) {
    case Pooling::none:
      return "none";
    case Pooling::mean:
      return "mean";
    case Pooling::cls:
      return "cls";
    case Pooling::last:
      return "last";
    case Pooling::rank:
      return "rank";
  }
  return "?";
}

Result<Pooling> parse_pooling(std::string_view name) {
  for (Pooling p : {Pooling::mean, Pooling::cls, Pooling::last})
    if (name == pooling_name(p)) return p;
  return Status(Code::invalid_argument, "pooling must be mean, cls or last, got '" + std::string(name) + "'");
}

Result<Pooling> model_pooling(const Model& model) {
  const auto key = keys::arch_key(model.desc().arch, keys::kPoolingType);
  const auto v = model.gguf().get_int(key);
  if (!v || *v == static_cast<int64_t>(Pooling::none)) return Pooling::mean;
  if (*v == static_cast<int64_t>(Pooling::mean) || *v == static_cast<int64_t>(Pooling::cls) ||
      *v == static_cast<int64_t>(Pooling::last))
    return static_cast<Pooling>(*v);
  if (*v == static_cast<int64_t>(Pooling::rank))
    return Status(Code::unsupported, key + " is rank (a reranker): not an embedding model; pass a pooling");
  return Status(Code::unsupported, key + " has unknown value " + std::to_string(*v));
}

namespace {

// One sequence's hidden rows (n, n_embd) pooled and normalized into out (n_embd).
void pool_rows(const float* hidden, int64_t n, int64_t E, Pooling pooling, bool normalize, std::vector<float>& out) {
  out.assign(static_cast<size_t>(E), 0.0f);
  if (pooling == Pooling::mean) {
    for (int64_t t = 0; t < n; ++t)
      for (int64_t i = 0; i < E; ++i) out[i] += hidden[t * E + i];
    for (float& v : out) v /= static_cast<float>(n);
  } else {
    const int64_t row = pooling == Pooling::cls ? 0 : n - 1;
    std::copy(hidden + row * E, hidden + (row + 1) * E, out.begin());
  }
  if (normalize) {
    double sum = 0;
    for (float v : out) sum += static_cast<double>(v) * v;
    const double norm = std::sqrt(sum);
    const float inv = norm > 0 ? static_cast<float>(1.0 / norm) : 0.0f;
    for (float& v : out) v *= inv;
  }
}

// The pooling opts ask for, else the model's; one that gives a single vector.
Result<Pooling> resolve_pooling(const Model& model, const EmbedOptions& opts) {
  Pooling pooling = Pooling::mean;
  if (opts.pooling) {
    pooling = *opts.pooling;
  } else {
    CHORD_ASSIGN_OR_RETURN(pooling, model_pooling(model));
  }
  if (pooling != Pooling::mean && pooling != Pooling::cls && pooling != Pooling::last)
    return Status(Code::invalid_argument, "pooling " + std::string(pooling_name(pooling)) + " gives no single vector");
  return pooling;
}

}  // namespace

Result<std::vector<std::vector<float>>> pool_hidden(const Model& model, std::span<const float> hidden,
                                                    std::span<const int32_t> lens, const EmbedOptions& opts) {
  CHORD_ASSIGN_OR_RETURN(const Pooling pooling, resolve_pooling(model, opts));
  const int64_t E = model.desc().n_embd;
  int64_t rows = 0;
  for (int32_t len : lens) {
    if (len <= 0) return Status(Code::invalid_argument, "no tokens to embed");
    rows += len;
  }
  if (rows * E != static_cast<int64_t>(hidden.size()))
    return Status(Code::invalid_argument, "pool_hidden: " + std::to_string(hidden.size()) + " floats for " +
                                              std::to_string(rows) + " rows of " + std::to_string(E));
  std::vector<std::vector<float>> out(lens.size());
  int64_t row = 0;
  for (size_t k = 0; k < lens.size(); ++k) {
    pool_rows(hidden.data() + row * E, lens[k], E, pooling, opts.normalize, out[k]);
    row += lens[k];
  }
  return out;
}

Result<std::vector<std::vector<float>>> embed_many(Context& ctx, std::span<const std::vector<Token>> seqs,
                                                   const EmbedOptions& opts) {
  CHORD_ASSIGN_OR_RETURN(const Pooling pooling, resolve_pooling(ctx.model(), opts));
  if (ctx.external())
    return Status(Code::unsupported,
                  "an external context computes no hidden states itself: evaluate each sequence and pool_hidden()");
  for (const auto& s : seqs)
    if (s.empty()) return Status(Code::invalid_argument, "no tokens to embed");
  const int64_t E = ctx.model().desc().n_embd;
  const size_t n_batch = static_cast<size_t>(ctx.n_batch());
  std::vector<std::vector<float>> out(seqs.size());
  std::vector<Token> packed;
  std::vector<int32_t> lens;
  std::vector<float> hidden;
  ctx.truncate(0);
  for (size_t i = 0; i < seqs.size();) {
    // Consecutive sequences while they fit one batch; one longer than a batch runs alone.
    size_t j = i, total = 0;
    while (j < seqs.size() && total + seqs[j].size() <= n_batch) total += seqs[j++].size();
    Status st = Status::Ok();
    if (j == i) {
      st = ctx.eval_hidden(seqs[i], hidden);
      lens.assign(1, static_cast<int32_t>(seqs[i].size()));
      j = i + 1;
    } else {
      packed.clear();
      lens.clear();
      for (size_t k = i; k < j; ++k) {
        packed.insert(packed.end(), seqs[k].begin(), seqs[k].end());
        lens.push_back(static_cast<int32_t>(seqs[k].size()));
      }
      st = ctx.eval_packed(packed, lens, hidden);
    }
    ctx.truncate(0);  // nothing of these sequences is a prefix anyone continues
    if (!st.ok()) return st;
    int64_t row = 0;
    for (size_t k = i; k < j; ++k) {
      pool_rows(hidden.data() + row * E, lens[k - i], E, pooling, opts.normalize, out[k]);
      row += lens[k - i];
    }
    i = j;
  }
  return out;
}

Result<std::vector<float>> embed(Context& ctx, std::span<const Token> tokens, const EmbedOptions& opts) {
  if (tokens.empty()) return Status(Code::invalid_argument, "no tokens to embed");
  const std::vector<Token> seq(tokens.begin(), tokens.end());
  CHORD_ASSIGN_OR_RETURN(auto v, embed_many(ctx, std::span<const std::vector<Token>>(&seq, 1), opts));
  return std::move(v.front());
}

}  // namespace chord
