// Rounding helpers shared by the reference quantizers (internal to core/quant).
// They reproduce the exact integer results of llama.cpp's C code on x86-64, including its
// out-of-range cases, without undefined behaviour.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/quant/fp16.h"

namespace chord::quant::detail {

// llama.cpp's nearest_int: adds 1.5 * 2^23 so the float adder rounds to an integer (ties to
// even), then reads the integer from the mantissa bits. Exact for |x| <= 2^22; for larger or
// non-finite x it returns the same bit-pattern garbage as the C code (callers clamp).
inline int nearest_int(float x) noexcept {
  const float v = x + 12582912.f;
  const int32_t i = bit_cast<int32_t>(v);
  return (i & 0x007FFFFF) - 0x00400000;
}

// C's float -> integer conversion (truncation toward zero) as x86-64 performs it: cvttss2si
// yields INT32_MIN for NaN and out-of-range values. Casting the result to int8_t/uint8_t keeps
// the low byte, which is what gcc/clang emit for (int8_t)f and (uint8_t)f on x86-64.
inline int32_t trunc_to_int(float x) noexcept {
  if (!(x > -2147483648.f && x < 2147483648.f)) return INT32_MIN;
  return static_cast<int32_t>(x);
}

// roundf (half away from zero) followed by the same conversion.
inline int32_t round_to_int(float x) noexcept { return trunc_to_int(std::round(x)); }

}  // namespace chord::quant::detail
