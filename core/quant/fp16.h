// IEEE half and bfloat16 <-> float conversions, inline so that kernels can use them per block.
// Results equal ggml's reference conversions (ggml-impl.h) for every input, including NaN handling.
#pragma once
#include <cstdint>
#include <cstring>

namespace chord::quant {

// bit_cast stand-in: Emscripten 3.1.6's libc++ has no <bit> bit_cast.
template <class To, class From>
inline To bit_cast(const From& v) noexcept {
  static_assert(sizeof(To) == sizeof(From), "bit_cast between types of different sizes");
  To t;
  std::memcpy(&t, &v, sizeof(To));
  return t;
}

// Exact widening of an IEEE binary16. NaN payloads are kept (shifted into the float mantissa).
inline float fp16_to_fp32(uint16_t h) noexcept {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {  // inf / NaN
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {  // normal: rebias 15 -> 127
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {  // signed zero
    bits = sign;
  } else {             // subnormal: mant * 2^-24, renormalised
    uint32_t e = 113;  // exponent of 2^-14 (the subnormal range's scale) + 127
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  return bit_cast<float>(bits);
}

// Round to nearest, ties to even; overflow -> inf; NaN -> sign | 0x7E00 (ggml's quiet NaN).
inline uint16_t fp32_to_fp16(float f) noexcept {
  const uint32_t bits = bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return sign | 0x7E00u;
  const uint32_t e = abs >> 23;         // biased float exponent
  if (e >= 143) return sign | 0x7C00u;  // |f| >= 2^16 (or inf): beyond the half range
  const uint32_t mant = abs & 0x7FFFFFu;
  if (e >= 113) {  // a normal half: 13 mantissa bits dropped
    uint32_t h = ((e - 112) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry may reach inf: correct
    return static_cast<uint16_t>(sign | h);
  }
  if (e < 102) return sign;  // |f| < 2^-25: rounds to zero (2^-25 itself is a tie to 0)
  // Subnormal half: value = (mant | 2^23) * 2^(e - 150), in units of 2^-24 -> shift by 126 - e.
  const uint32_t m = mant | 0x800000u;
  const uint32_t shift = 126 - e;  // 14..24
  uint32_t h = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (h & 1u))) ++h;  // may become 0x400, the smallest normal
  return static_cast<uint16_t>(sign | h);
}

inline float bf16_to_fp32(uint16_t h) noexcept { return bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// Round to nearest even on the upper 16 bits; NaN kept NaN by setting the quiet bit (0x40).
// Subnormals are rounded like any other value (current ggml does not flush them).
inline uint16_t fp32_to_bf16(float f) noexcept {
  const uint32_t bits = bit_cast<uint32_t>(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace chord::quant
