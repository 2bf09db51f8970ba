// Valid random blocks of the grid I-quants and ternary types (random_row_iq in iq_grids.h): every
// bit pattern of their indices, signs, digits and scales decodes to a value, so random bytes are
// valid blocks once d is a finite half; d is then chosen per block for the requested RMS.
#include <cmath>

#include "core/common/status.h"
#include "core/quant/fp16.h"
#include "core/quant/iq_grids.h"

namespace chord::quant {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): a fixed, platform-independent stream.
uint64_t splitmix64(uint64_t& s) noexcept {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

void random_row_iq(GgmlType t, uint64_t seed, float rms, void* y, int64_t n) noexcept {
  CHORD_CHECK(has_iq_unpack(t) && n % kQK_K == 0);
  const uint32_t bytes = type_info(t)->type_size;
  auto* out = static_cast<uint8_t*>(y);
  uint64_t s = seed;
  float unit[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    uint8_t* p = out + b * bytes;
    for (uint32_t i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(splitmix64(s) >> 56);
    iq_set_block_d(t, p, fp32_to_fp16(1.0f));
    type_info(t)->to_float(p, unit, kQK_K);
    double ss = 0;
    for (float v : unit) ss += static_cast<double>(v) * v;
    const double r = std::sqrt(ss / kQK_K);
    iq_set_block_d(t, p, fp32_to_fp16(r > 0 ? static_cast<float>(rms / r) : 0.0f));
  }
}

}  // namespace chord::quant
