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

Result<std::vector<float>> embed(Context& ctx, std::span<const Token> tokens, const EmbedOptions& opts) {
  if (tokens.empty()) return Status(Code::invalid_argument, "no tokens to embed");
  Pooling pooling = Pooling::mean;
  if (opts.pooling) {
    pooling = *opts.pooling;
  } else {
    CHORD_ASSIGN_OR_RETURN(pooling, model_pooling(ctx.model()));
  }
  if (pooling != Pooling::mean && pooling != Pooling::cls && pooling != Pooling::last)
    return Status(Code::invalid_argument, "pooling " + std::string(pooling_name(pooling)) + " gives no single vector");
  const int64_t E = ctx.model().desc().n_embd;
  const int64_t n = static_cast<int64_t>(tokens.size());
  ctx.truncate(0);
  std::vector<float> hidden;  // (n, n_embd)
  const Status st = ctx.eval_hidden(tokens, hidden);
  ctx.truncate(0);  // nothing of this sequence is a prefix anyone continues
  if (!st.ok()) return st;
  std::vector<float> out(static_cast<size_t>(E), 0.0f);
  if (pooling == Pooling::mean) {
    for (int64_t t = 0; t < n; ++t)
      for (int64_t i = 0; i < E; ++i) out[i] += hidden[t * E + i];
    for (float& v : out) v /= static_cast<float>(n);
  } else {
    const int64_t row = pooling == Pooling::cls ? 0 : n - 1;
    std::copy(hidden.begin() + row * E, hidden.begin() + (row + 1) * E, out.begin());
  }
  if (opts.normalize) {
    double sum = 0;
    for (float v : out) sum += static_cast<double>(v) * v;
    const double norm = std::sqrt(sum);
    const float inv = norm > 0 ? static_cast<float>(1.0 / norm) : 0.0f;
    for (float& v : out) v *= inv;
  }
  return out;
}

}  // namespace chord
