// libFuzzer target for the sampler: arbitrary parameters (NaN, inf, negative), logits with NaN/inf
// (a hostile model's weights can produce them), logit biases and histories with out-of-range ids.
// Parameters that validate() accepts must always give a token inside the vocabulary.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "runtime/sampler.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// Reads little-endian values; zeros once the input is used up.
struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t u8() { return n ? (--n, *p++) : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(u8()) << (8 * i);
    return v;
  }
  uint64_t u64() { return u32() | (uint64_t(u32()) << 32); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  // A selector byte: mostly ordinary values, sometimes raw bits (NaN, inf, denormals, huge).
  float f32(float lo, float hi) {
    const uint8_t sel = u8();
    if (sel < 200) return lo + (hi - lo) * static_cast<float>(sel) / 199.0f;
    if (sel < 240) {
      const float special[] = {NAN, INFINITY, -INFINITY, -1.0f, 0.0f, -0.0f, 1e-45f, 3e38f, -3e38f, 1.0f};
      return special[sel % 10];
    }
    const uint32_t bits = u32();
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
};

float logit(Reader& r) {
  const uint8_t b = r.u8();
  switch (b) {
    case 255:
      return NAN;
    case 254:
      return INFINITY;
    case 253:
      return -INFINITY;
    case 252:
      return 3.4e38f;
    case 251:
      return -3.4e38f;
    case 250:
      return 1e-40f;
    default:
      return (static_cast<float>(b) - 125.0f) / 8.0f;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  chord::SamplerParams p;
  p.temperature = r.f32(0.0f, 2.0f);
  p.top_k = static_cast<int32_t>(r.u8()) - 8;
  if (r.u8() == 255) p.top_k = r.i32();
  p.top_p = r.f32(0.0f, 1.0f);
  p.min_p = r.f32(0.0f, 1.0f);
  p.repeat_penalty = r.f32(0.5f, 2.0f);
  p.frequency_penalty = r.f32(-2.0f, 2.0f);
  p.presence_penalty = r.f32(-2.0f, 2.0f);
  p.penalty_last_n = static_cast<int32_t>(r.u8()) - 2;
  p.seed = r.u64();
  const int n_vocab = 1 + (r.u8() | (r.u8() << 8)) % 600;
  const int n_bias = r.u8() % 8;
  for (int i = 0; i < n_bias; ++i) {
    const int32_t tok = static_cast<int32_t>(static_cast<int16_t>(r.u8() | (r.u8() << 8)));
    p.logit_bias.emplace_back(tok, r.f32(-10.0f, 10.0f));
  }
  std::vector<float> logits(static_cast<size_t>(n_vocab));
  for (float& l : logits) l = logit(r);
  std::vector<chord::Token> recent;
  while (r.n >= 2) recent.push_back(static_cast<int16_t>(r.u8() | (r.u8() << 8)));

  if (!chord::validate(p).ok()) return 0;
  chord::Sampler s(p);
  for (int i = 0; i < 3; ++i) {
    const chord::Token t = s.sample(logits, recent);
    FUZZ_REQUIRE(t >= 0 && t < n_vocab);
  }
  return 0;
}
