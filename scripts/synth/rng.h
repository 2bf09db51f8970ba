// Deterministic random numbers for chord-synth: splitmix64 seeding, xoshiro256** and Box-Muller
// normals, so the same --seed gives the same file on every platform and standard library.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

namespace chord::synth {

inline uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a of a tensor name, mixed with the seed and a row index: every row has its own stream, so
// the result does not depend on the order rows are generated in or on the thread count.
inline uint64_t stream_key(uint64_t seed, std::string_view name, uint64_t row) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  uint64_t s = seed ^ (h * 0x9E3779B97F4A7C15ull) ^ (row * 0xD1B54A32D192ED03ull);
  return splitmix64(s);
}

class Rng {
 public:
  explicit Rng(uint64_t key) {
    uint64_t s = key;
    for (uint64_t& w : s_) w = splitmix64(s);
  }
  uint64_t next() {
    const uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  // Uniform in (0, 1): 53 random bits, never 0 (Box-Muller takes its log).
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
  // Standard normal (Box-Muller, both values used).
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double a = 6.283185307179586 * uniform();
    spare_ = r * std::sin(a);
    have_spare_ = true;
    return r * std::cos(a);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool have_spare_ = false;
};

}  // namespace chord::synth
