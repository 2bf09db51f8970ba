// Sampling chain in llama.cpp's default order: bias -> penalties -> top-k -> top-p -> min-p ->
// temperature -> draw. Greedy (temperature <= 0) takes the arg-max after bias and penalties.
// A grammar, when set, removes disallowed tokens before top-k (llama.cpp's grammar-first chain).
#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "runtime/grammar_sampler.h"

namespace chord {

Status validate(const SamplerParams& p) {
  auto bad = [](const char* what) { return Status(Code::invalid_argument, std::string(what)); };
  if (std::isnan(p.temperature) || p.temperature < 0) return bad("temperature must be a number >= 0");
  if (std::isnan(p.top_p) || p.top_p < 0 || p.top_p > 1) return bad("top_p must be in [0, 1]");
  if (std::isnan(p.min_p) || p.min_p < 0 || p.min_p > 1) return bad("min_p must be in [0, 1]");
  if (std::isnan(p.repeat_penalty) || p.repeat_penalty <= 0) return bad("repeat_penalty must be > 0");
  if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty))
    return bad("frequency_penalty and presence_penalty must be finite");
  if (p.penalty_last_n < -1) return bad("repeat_last_n must be >= -1");
  for (const auto& [tok, b] : p.logit_bias)
    if (std::isnan(b)) return bad("logit_bias values must be numbers");
  return Status::Ok();
}

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t Rng::next() {
  const uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return r;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

// Leaves the survivors in cand_[0, n) (sorted unless greedy) with draw weights in weight_.
size_t Sampler::survivors(std::span<const float> logits, std::span<const Token> recent) {
  const int32_t n_vocab = static_cast<int32_t>(logits.size());
  cand_.resize(logits.size());
  for (int32_t i = 0; i < n_vocab; ++i) cand_[static_cast<size_t>(i)] = {logits[static_cast<size_t>(i)], i};
  for (const auto& [tok, b] : p_.logit_bias)
    if (tok >= 0 && tok < n_vocab) cand_[static_cast<size_t>(tok)].first += b;

  // Penalties over the last penalty_last_n tokens (as llama.cpp's penalties sampler).
  const bool penalize = p_.repeat_penalty != 1.0f || p_.frequency_penalty != 0.0f || p_.presence_penalty != 0.0f;
  if (penalize && p_.penalty_last_n != 0 && !recent.empty()) {
    size_t window =
        p_.penalty_last_n < 0 ? recent.size() : std::min(recent.size(), static_cast<size_t>(p_.penalty_last_n));
    std::unordered_map<Token, int> counts;
    for (size_t i = recent.size() - window; i < recent.size(); ++i) ++counts[recent[i]];
    for (const auto& [tok, cnt] : counts) {
      if (tok < 0 || tok >= n_vocab) continue;
      float& l = cand_[static_cast<size_t>(tok)].first;
      l = l <= 0 ? l * p_.repeat_penalty : l / p_.repeat_penalty;
      l -= static_cast<float>(cnt) * p_.frequency_penalty + p_.presence_penalty;
    }
  }

  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const bool greedy = p_.temperature <= 0.0f || p_.top_k == 1;
  if (grammar_) {  // only allowed tokens go on; greedy and top-k need just the best few checked
    const size_t need = greedy ? 1 : p_.top_k > 0 ? static_cast<size_t>(p_.top_k) : 0;
    status_ = grammar_->keep_allowed(cand_, need);
    if (!status_.ok()) return 0;
  }
  if (greedy) {
    std::iter_swap(cand_.begin(), std::min_element(cand_.begin(), cand_.end(), by_logit));
    weight_.assign(1, 1.0);
    total_ = 1.0;
    return 1;
  }
  size_t n = cand_.size();
  if (p_.top_k > 0 && static_cast<size_t>(p_.top_k) < n) {
    std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
    n = static_cast<size_t>(p_.top_k);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  // Probabilities of the survivors (at temperature 1, as llama.cpp's top-p/min-p see them).
  std::vector<double>& prob = weight_;
  prob.resize(n);
  const float mx = cand_[0].first;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += prob[i] = std::exp(static_cast<double>(cand_[i].first - mx));
  if (p_.top_p < 1.0f) {
    double cum = 0;
    for (size_t i = 0; i < n; ++i) {
      cum += prob[i] / sum;
      if (cum >= p_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  if (p_.min_p > 0.0f) {
    const double floor = p_.min_p;  // relative to the top token's probability
    size_t keep = 1;
    while (keep < n && prob[keep] / prob[0] >= floor) ++keep;
    n = keep;
  }
  // Temperature last (llama.cpp's default chain order).
  total_ = 0;
  for (size_t i = 0; i < n; ++i)
    total_ += prob[i] = std::exp(static_cast<double>(cand_[i].first - mx) / p_.temperature);
  prob.resize(n);
  return n;
}

Token Sampler::sample(std::span<const float> logits, std::span<const Token> recent) {
  const size_t n = survivors(logits, recent);
  if (n == 0) return -1;  // status_ says why
  Token t = cand_[n - 1].second;
  if (p_.temperature <= 0.0f || p_.top_k == 1) {
    t = cand_[0].second;  // greedy draws nothing
  } else {
    double r = rng_.uniform() * total_;
    for (size_t i = 0; i < n; ++i) {
      r -= weight_[i];
      if (r < 0) {
        t = cand_[i].second;
        break;
      }
    }
  }
  if (grammar_ && !(status_ = grammar_->accept(t)).ok()) return -1;
  return t;
}

std::span<const Candidate> Sampler::candidates(std::span<const float> logits, std::span<const Token> recent) {
  const size_t n = survivors(logits, recent);  // 0 after a grammar failure
  out_.resize(n);
  for (size_t i = 0; i < n; ++i) out_[i] = {cand_[i].second, weight_[i] / total_};
  return out_;
}

}  // namespace chord
