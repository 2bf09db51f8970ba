// Sampler semantics on crafted logits, against llama.cpp's definitions (src/llama-sampling.cpp):
// which candidates survive each stage and with what probability, computed here independently.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <vector>

#include "runtime/sampler.h"

using namespace chord;

namespace {

// Everything off: temperature 1, no truncation, no penalties.
SamplerParams neutral() {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  return p;
}

std::map<Token, double> dist(SamplerParams p, const std::vector<float>& logits, const std::vector<Token>& recent = {}) {
  Sampler s(std::move(p));
  std::map<Token, double> out;
  double sum = 0;
  for (const Candidate& c : s.candidates(logits, recent)) {
    out[c.id] = c.p;
    sum += c.p;
  }
  CHECK(sum == Approx(1.0).epsilon(1e-12));
  return out;
}

// softmax(logits[ids] / t) restricted to ids: the expected distribution of the survivors.
std::map<Token, double> softmax(const std::vector<float>& logits, const std::vector<Token>& ids, double t = 1.0) {
  double mx = -INFINITY, sum = 0;
  for (Token i : ids) mx = std::max(mx, static_cast<double>(logits[static_cast<size_t>(i)]));
  std::map<Token, double> out;
  for (Token i : ids) sum += out[i] = std::exp((logits[static_cast<size_t>(i)] - mx) / t);
  for (auto& [i, p] : out) p /= sum;
  return out;
}

void check_same(const std::map<Token, double>& got, const std::map<Token, double>& want) {
  REQUIRE(got.size() == want.size());
  for (const auto& [id, p] : want) {
    INFO("token " << id);
    REQUIRE(got.count(id) == 1);
    CHECK(got.at(id) == Approx(p).epsilon(1e-9));
  }
}

// Sorted: logits 5 4 3 2 1 .5 0 -1 (ids 6 3 4 1 2 0 7 5), softmax .628 .231 .085 .031 .012 .007 ...
const std::vector<float> kLogits = {0.5f, 2.0f, 1.0f, 4.0f, 3.0f, -1.0f, 5.0f, 0.0f};

}  // namespace

TEST_CASE("sampler: neutral settings keep every token with its softmax probability") {
  check_same(dist(neutral(), kLogits), softmax(kLogits, {0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST_CASE("sampler: top-k keeps the k highest logits, renormalized") {
  SamplerParams p = neutral();
  p.top_k = 3;
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3, 4}));
  p.top_k = 100;  // more than the vocabulary: all
  check_same(dist(p, kLogits), softmax(kLogits, {0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST_CASE("sampler: top-p keeps the smallest prefix whose mass reaches p (including the crossing token)") {
  // Sorted probabilities: 5 -> .6337, 4 -> .2331, 3 -> .0858, 1 -> .0316, ...
  const auto all = softmax(kLogits, {0, 1, 2, 3, 4, 5, 6, 7});
  SamplerParams p = neutral();
  p.top_p = 0.5f;  // .6337 >= .5: the top token alone
  check_same(dist(p, kLogits), softmax(kLogits, {6}));
  p.top_p = 0.7f;  // .6337 < .7 <= .8668
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3}));
  p.top_p = static_cast<float>(all.at(6) + all.at(3) + all.at(4)) + 1e-6f;  // just past three: four
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3, 4, 1}));
}

TEST_CASE("sampler: min-p keeps tokens with p >= min_p * p_max") {
  SamplerParams p = neutral();
  p.min_p = 0.1f;  // p/p_max = e^(l - 5): keeps l >= 5 + ln 0.1 = 2.70 -> logits 5, 4, 3
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3, 4}));
  p.min_p = 0.3f;  // l >= 5 + ln 0.3 = 3.80 -> 5, 4
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3}));
}

TEST_CASE("sampler: the truncations compose in llama.cpp's order, temperature applied last") {
  SamplerParams p = neutral();
  p.top_k = 4;      // logits 5, 4, 3, 2
  p.top_p = 0.95f;  // over the renormalized four: .6439 .2369 .0871 .0321 -> cum .968 at the 3rd
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3, 4}));
  p.min_p = 0.2f;  // then p/p_max = e^(l-5) >= .2: logits 5, 4
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3}));
  p.temperature = 0.5f;  // the same survivors, sharpened
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3}, 0.5));
  p.temperature = 2.0f;  // temperature does not change which survive (it comes after top-p/min-p)
  check_same(dist(p, kLogits), softmax(kLogits, {6, 3}, 2.0));
}

TEST_CASE("sampler: greedy is the arg-max after bias and penalties, and draws nothing") {
  SamplerParams p = neutral();
  p.temperature = 0.0f;
  check_same(dist(p, kLogits), {{6, 1.0}});
  p.logit_bias = {{6, -INFINITY}};  // banned: the next best
  check_same(dist(p, kLogits), {{3, 1.0}});
  // Ties go to the lower id.
  check_same(dist(p, {1.0f, 3.0f, 3.0f}), {{1, 1.0}});
}

TEST_CASE("sampler: logit bias is added before everything else") {
  SamplerParams p = neutral();
  p.logit_bias = {{0, 10.0f}, {6, -2.0f}};
  std::vector<float> biased = kLogits;
  biased[0] += 10.0f;
  biased[6] -= 2.0f;
  check_same(dist(p, kLogits), softmax(biased, {0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST_CASE("sampler: repeat, frequency and presence penalties over the last n tokens") {
  // llama.cpp: for a token seen c > 0 times in the window, logit /= r if logit > 0 else logit *= r,
  // then logit -= c * frequency + presence.
  SamplerParams p = neutral();
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.25f;
  p.presence_penalty = 0.5f;
  p.penalty_last_n = 4;
  // History: 6 twice and 5 once inside the last 4; 3 only outside the window.
  const std::vector<Token> recent = {3, 3, 6, 5, 1, 6};
  std::vector<float> want = kLogits;
  want[6] = 5.0f / 2 - 2 * 0.25f - 0.5f;   // positive: divided
  want[5] = -1.0f * 2 - 1 * 0.25f - 0.5f;  // negative: multiplied
  want[1] = 2.0f / 2 - 1 * 0.25f - 0.5f;
  check_same(dist(p, kLogits, recent), softmax(want, {0, 1, 2, 3, 4, 5, 6, 7}));

  p.penalty_last_n = -1;  // the whole history: 3 is penalized too
  want[3] = 4.0f / 2 - 2 * 0.25f - 0.5f;
  check_same(dist(p, kLogits, recent), softmax(want, {0, 1, 2, 3, 4, 5, 6, 7}));

  p.penalty_last_n = 0;  // off
  check_same(dist(p, kLogits, recent), softmax(kLogits, {0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST_CASE("sampler: draws follow candidates() and the seed") {
  SamplerParams p = neutral();
  p.top_k = 3;
  p.seed = 42;
  Sampler a(p), b(p);
  std::map<Token, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Token t = a.sample(kLogits, {});
    CHECK(t == b.sample(kLogits, {}));
    ++counts[t];
  }
  const auto want = softmax(kLogits, {6, 3, 4});
  REQUIRE(counts.size() == 3);
  for (const auto& [id, pr] : want) {
    const double sd = std::sqrt(pr * (1 - pr) / n);
    CHECK(std::abs(counts[id] / static_cast<double>(n) - pr) < 5 * sd);
  }
}
