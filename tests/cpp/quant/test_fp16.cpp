// fp16 / bf16 conversions: exhaustive over all 65536 bit patterns, every rounding boundary,
// known values, and random floats checked against a nearest-value oracle computed in double.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "core/quant/quant.h"

using namespace chord::quant;

namespace {

// Independent decoder of IEEE binary16 in double precision.
double half_value(uint16_t h) {
  const int sign = (h & 0x8000) ? -1 : 1;
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  if (exp == 31) return mant ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  if (exp == 0) return sign * std::ldexp(static_cast<double>(mant), -24);
  return sign * std::ldexp(static_cast<double>(1024 + mant), exp - 25);
}

bool half_is_nan(uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0; }

// fp32_to_fp16(f) must be a nearest half (ties to even mantissa) or inf from 65520 up.
bool is_nearest_half(float f) {
  const uint16_t h = fp32_to_fp16(f);
  if (std::isnan(f)) return half_is_nan(h);
  if (half_is_nan(h) || ((h & 0x8000) != 0) != std::signbit(f)) return false;
  const double af = std::fabs(static_cast<double>(f));
  const uint16_t mag = h & 0x7FFF;
  if (af >= 65520.0) return mag == 0x7C00;  // 65504 + half an ulp (16): rounds to inf
  if (mag >= 0x7C00) return false;
  const double err = std::fabs(af - half_value(mag));
  if (mag > 0 && err > std::fabs(af - half_value(static_cast<uint16_t>(mag - 1)))) return false;
  if (mag < 0x7BFF && err > std::fabs(af - half_value(static_cast<uint16_t>(mag + 1)))) return false;
  // Exact tie: the even mantissa wins.
  const double other = af > half_value(mag) ? half_value(static_cast<uint16_t>(mag + 1))
                                            : (mag > 0 ? half_value(static_cast<uint16_t>(mag - 1)) : -1.0);
  if (other >= 0 && std::fabs(af - other) == err && (mag & 1) != 0) return false;
  return true;
}

uint16_t bf16_oracle(float f) {  // RNE on the upper 16 bits, via double distances
  const uint32_t b = bit_cast<uint32_t>(f);
  const uint32_t lo = b & 0xFFFF0000u, hi = lo + 0x10000u;
  const double dl = std::fabs(static_cast<double>(f) - bit_cast<float>(lo));
  const double vhi = (hi & 0x7F800000u) == 0x7F800000u
                         ? std::ldexp(1.0, 128) * (std::signbit(f) ? -1 : 1)  // inf step: 2^128
                         : static_cast<double>(bit_cast<float>(hi));
  const double dh = std::fabs(static_cast<double>(f) - vhi);
  if (dl < dh) return static_cast<uint16_t>(lo >> 16);
  if (dh < dl) return static_cast<uint16_t>(hi >> 16);
  return static_cast<uint16_t>(((lo >> 16) & 1) ? hi >> 16 : lo >> 16);
}

}  // namespace

TEST_CASE("fp16 -> fp32 is exact for all 65536 halves and round-trips") {
  for (uint32_t u = 0; u < 65536; ++u) {
    const auto h = static_cast<uint16_t>(u);
    const float f = fp16_to_fp32(h);
    if (half_is_nan(h)) {
      REQUIRE(std::isnan(f));
      REQUIRE(half_is_nan(fp32_to_fp16(f)));  // NaN stays NaN
      // Payload is kept in the widening (shifted by 13 bits).
      REQUIRE(((bit_cast<uint32_t>(f) >> 13) & 0x3FF) == (h & 0x3FFu));
      continue;
    }
    REQUIRE(static_cast<double>(f) == half_value(h));
    REQUIRE(std::signbit(f) == ((h & 0x8000) != 0));
    REQUIRE(fp32_to_fp16(f) == h);
  }
}

TEST_CASE("fp16 known values") {
  CHECK(fp32_to_fp16(1.0f) == 0x3C00);
  CHECK(fp32_to_fp16(-2.0f) == 0xC000);
  CHECK(fp32_to_fp16(0.5f) == 0x3800);
  CHECK(fp32_to_fp16(65504.0f) == 0x7BFF);  // largest half
  CHECK(fp32_to_fp16(65519.996f) == 0x7BFF);
  CHECK(fp32_to_fp16(65520.0f) == 0x7C00);  // tie between 65504 and "65536": even -> inf
  CHECK(fp32_to_fp16(1e6f) == 0x7C00);
  CHECK(fp32_to_fp16(INFINITY) == 0x7C00);
  CHECK(fp32_to_fp16(-INFINITY) == 0xFC00);
  CHECK(fp32_to_fp16(std::numeric_limits<float>::quiet_NaN()) == 0x7E00);
  CHECK(fp32_to_fp16(0.0f) == 0x0000);
  CHECK(fp32_to_fp16(-0.0f) == 0x8000);
  CHECK(fp32_to_fp16(0.1f) == 0x2E66);
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);  // tie 0 / 2^-24: even -> 0
  CHECK(fp32_to_fp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
  CHECK(fp32_to_fp16(3 * std::ldexp(1.0f, -25)) == 0x0002);         // 1.5 units: tie -> even 2
  CHECK(fp32_to_fp16(5 * std::ldexp(1.0f, -25)) == 0x0002);         // 2.5 units: tie -> even 2
  CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);      // tie -> even 1.0
  CHECK(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);  // tie -> even
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -30)) == 0x0000);
  CHECK(fp32_to_fp16(-std::ldexp(1.0f, -30)) == 0x8000);
  CHECK(fp32_to_fp16(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(fp16_to_fp32(0x3C00) == 1.0f);
  CHECK(fp16_to_fp32(0x7BFF) == 65504.0f);
  CHECK(fp16_to_fp32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(fp16_to_fp32(0x03FF) == 1023 * std::ldexp(1.0f, -24));
  CHECK(std::isinf(fp16_to_fp32(0xFC00)));
  CHECK(std::isnan(fp16_to_fp32(0x7E00)));
  CHECK(std::isnan(fp16_to_fp32(0x7C01)));  // signalling NaN pattern stays NaN
}

TEST_CASE("fp16 rounding at every boundary between adjacent halves") {
  for (uint32_t m = 0; m < 0x7BFF; ++m) {
    const double a = half_value(static_cast<uint16_t>(m));
    const double b = half_value(static_cast<uint16_t>(m + 1));
    const float mid = static_cast<float>((a + b) / 2);  // exact: halves have 11-bit mantissas
    REQUIRE(static_cast<double>(mid) == (a + b) / 2);
    const uint16_t even = (m & 1) ? static_cast<uint16_t>(m + 1) : static_cast<uint16_t>(m);
    REQUIRE(fp32_to_fp16(mid) == even);
    REQUIRE(fp32_to_fp16(std::nextafter(mid, 0.0f)) == m);
    REQUIRE(fp32_to_fp16(std::nextafter(mid, INFINITY)) == m + 1);
    REQUIRE(fp32_to_fp16(-mid) == (0x8000 | even));
  }
  // Above the largest half: the midpoint 65520 and beyond go to inf, just below stays 65504.
  CHECK(fp32_to_fp16(std::nextafter(65520.0f, 0.0f)) == 0x7BFF);
  CHECK(fp32_to_fp16(std::nextafter(65520.0f, INFINITY)) == 0x7C00);
}

TEST_CASE("fp16 random floats against the nearest-half oracle") {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    // Half of the samples concentrated in the half range (exponents 100..145).
    uint32_t b = bits(rng);
    if (i & 1) b = (b & 0x807FFFFFu) | ((100u + (b >> 23) % 46u) << 23);
    const float f = bit_cast<float>(b);
    if (!is_nearest_half(f)) FAIL("f = " << f << " (bits " << b << ") -> " << fp32_to_fp16(f));
  }
#if defined(__FLT16_MAX__) && !defined(__EMSCRIPTEN__)
  // Native only: the compiler's own _Float16 conversion as a second, independent oracle.
  for (int i = 0; i < 200000; ++i) {
    uint32_t b = bits(rng);
    b = (b & 0x807FFFFFu) | ((96u + (b >> 23) % 52u) << 23);
    const float f = bit_cast<float>(b);
    const _Float16 c = static_cast<_Float16>(f);
    if (fp32_to_fp16(f) != bit_cast<uint16_t>(c)) FAIL("f = " << f << " _Float16 " << bit_cast<uint16_t>(c));
  }
#endif
}

TEST_CASE("bf16 conversions") {
  for (uint32_t u = 0; u < 65536; ++u) {
    const auto h = static_cast<uint16_t>(u);
    const float f = bf16_to_fp32(h);
    REQUIRE(bit_cast<uint32_t>(f) == (u << 16));
    if (std::isnan(f)) {
      REQUIRE(std::isnan(bf16_to_fp32(fp32_to_bf16(f))));
    } else {
      REQUIRE(fp32_to_bf16(f) == h);
    }
  }
  CHECK(fp32_to_bf16(1.0f) == 0x3F80);
  CHECK(fp32_to_bf16(-1.0f) == 0xBF80);
  CHECK(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);      // tie -> even
  CHECK(fp32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);  // tie -> even
  CHECK(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)) == 0x3F81);
  CHECK(fp32_to_bf16(std::numeric_limits<float>::max()) == 0x7F80);  // rounds up to inf
  CHECK(fp32_to_bf16(INFINITY) == 0x7F80);
  CHECK(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN()) == 0x7FC0);
  // A signalling NaN whose payload sits only in the dropped bits must not become inf.
  CHECK(fp32_to_bf16(bit_cast<float>(0x7F800001u)) == 0x7FC0);
  CHECK(fp32_to_bf16(bit_cast<float>(0xFF800001u)) == 0xFFC0);
  CHECK(fp32_to_bf16(1e-40f) == bf16_oracle(1e-40f));  // subnormals rounded, not flushed
  CHECK(fp32_to_bf16(1e-40f) != 0);
  std::mt19937 rng(99);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    const float f = bit_cast<float>(bits(rng));
    if (std::isnan(f)) continue;
    REQUIRE(fp32_to_bf16(f) == bf16_oracle(f));
  }
}
