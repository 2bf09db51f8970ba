// Token sampling: logit bias, repetition/frequency/presence penalties over a window, top-k,
// top-p, min-p, temperature, and a seeded RNG (same seed -> same tokens on every platform).
#pragma once
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/common/status.h"
#include "core/tokenizer/tokenizer.h"

namespace chord {

struct SamplerParams {
  float temperature = 0.8f;     // <= 0: greedy
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off (llama.cpp's penalty_repeat)
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int32_t penalty_last_n = 64;  // window of recent tokens the penalties look at; -1 = whole context
  uint64_t seed = 0xC0FFEE;
  std::vector<std::pair<Token, float>> logit_bias;  // added to the logit; -inf bans a token
};

// Rejects NaN/negative values that have no meaning (clear error rather than silent clamping).
Status validate(const SamplerParams& p);

// Our own generator (xoshiro256**, seeded with splitmix64): std:: distributions differ between
// standard libraries, and native and wasm must sample identically.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();  // [0, 1) with 53 random bits

 private:
  uint64_t s_[4];
};

// A token the sampler may draw and its probability of being drawn.
struct Candidate {
  Token id = -1;
  double p = 0;  // after bias, penalties, truncation and temperature; the survivors sum to 1
};

class GrammarSampler;  // runtime/grammar_sampler.h

class Sampler {
 public:
  explicit Sampler(SamplerParams p) : p_(std::move(p)), rng_(p_.seed) {}
  // Constrains sampling to tokens the grammar allows (applied before top-k and the rest, as
  // llama.cpp's grammar-first chain); sample() then advances the grammar past the drawn token.
  // The grammar must outlive the sampler; nullptr removes it.
  void set_grammar(GrammarSampler* g) { grammar_ = g; }
  // Not ok after a grammar failure (no candidate allowed, or a grammar limit); sample() gave -1.
  const Status& status() const { return status_; }
  // Picks the next token from logits (n_vocab). `recent` is the token history (prompt + output).
  Token sample(std::span<const float> logits, std::span<const Token> recent);
  // The distribution sample() draws from, most likely first (greedy: the arg-max alone, p = 1).
  // Valid until the next call; draws nothing from the RNG.
  std::span<const Candidate> candidates(std::span<const float> logits, std::span<const Token> recent);
  const SamplerParams& params() const { return p_; }

 private:
  size_t survivors(std::span<const float> logits, std::span<const Token> recent);  // fills cand_, weight_

  SamplerParams p_;
  Rng rng_;
  GrammarSampler* grammar_ = nullptr;
  Status status_;
  std::vector<std::pair<float, Token>> cand_;  // scratch: (adjusted logit, id), survivors first
  std::vector<double> weight_;                 // scratch: unnormalized draw weight of each survivor
  double total_ = 0;                           // sum of weight_ over the survivors
  std::vector<Candidate> out_;
};

}  // namespace chord
