// SIMD128 activation quantizers and f16/bf16 row conversions. Each writes exactly the bytes of the
// reference (core/quant quantize_row_q8_0/_q8_1/_q8_K, fp32_to_fp16/bf16): same float operations
// per element, std::round emulated as round-half-away-from-zero, llama.cpp's nearest_int as
// f32x4.nearest (ties to even). Blocks holding a NaN or an infinity, or so tiny that the inverse
// scale overflows, go through the reference.
#include <cmath>
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/rows.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128 {

namespace {

using quant::BlockQ8_0;
using quant::BlockQ8_1;
using quant::BlockQ8_K;

inline float hmax_f32(v128_t v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

// std::round (half away from zero) of four floats of magnitude < 2^23, as int32.
inline v128_t round_away(v128_t x) {
  const v128_t t = wasm_f32x4_trunc(x);
  const v128_t frac_big = wasm_f32x4_ge(wasm_f32x4_abs(wasm_f32x4_sub(x, t)), wasm_f32x4_splat(0.5f));
  const v128_t one = wasm_v128_or(wasm_f32x4_splat(1.0f), wasm_v128_and(x, wasm_f32x4_splat(-0.0f)));
  return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(t, wasm_v128_and(frac_big, one)));
}

// Sixteen int32 lanes (values within int8) to int8.
inline v128_t narrow4(v128_t a, v128_t b, v128_t c, v128_t d) {
  return wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(a, b), wasm_i16x8_narrow_i32x4(c, d));
}

// Quantizes one 32-block the Q8_0 way; returns false (nothing written) for non-finite input.
inline bool q8_block(const float* x, uint16_t* d_out, int8_t* qs, float* d_val) {
  v128_t v[8];
  v128_t amax = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < 8; ++i) {
    v[i] = wasm_v128_load(x + 4 * i);
    amax = wasm_f32x4_max(amax, wasm_f32x4_abs(v[i]));
  }
  const float m = hmax_f32(amax);
  if (!(m < INFINITY)) return false;
  const float d = m / ((1 << 7) - 1);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  if (!(id < INFINITY)) return false;  // d subnormal: x * inf, the reference's int conversion of inf
  *d_out = quant::fp32_to_fp16(d);
  *d_val = d;
  const v128_t idv = wasm_f32x4_splat(id);
  v128_t r[8];
  for (int i = 0; i < 8; ++i) r[i] = round_away(wasm_f32x4_mul(v[i], idv));
  wasm_v128_store(qs, narrow4(r[0], r[1], r[2], r[3]));
  wasm_v128_store(qs + 16, narrow4(r[4], r[5], r[6], r[7]));
  return true;
}

}  // namespace

const float* f16_table() noexcept {
  static const float* const table = [] {
    static float t[65536];
    for (uint32_t h = 0; h < 65536; ++h) t[h] = quant::fp16_to_fp32(static_cast<uint16_t>(h));
    return t;
  }();
  return table;
}

void from_float_q8_0(const float* x, void* y, int64_t n) noexcept {
  auto* b = static_cast<BlockQ8_0*>(y);
  for (int64_t i = 0; i < n / 32; ++i, x += 32) {
    float d;
    if (!q8_block(x, &b[i].d, b[i].qs, &d)) quant::quantize_row_q8_0(x, &b[i], 32);
  }
}

void from_float_q8_1(const float* x, void* y, int64_t n) noexcept {
  auto* b = static_cast<BlockQ8_1*>(y);
  for (int64_t i = 0; i < n / 32; ++i, x += 32) {
    float d;
    if (!q8_block(x, &b[i].d, b[i].qs, &d)) {
      quant::quantize_row_q8_1(x, &b[i], 32);
      continue;
    }
    const v128_t s = wasm_i16x8_add(wasm_i16x8_extadd_pairwise_i8x16(wasm_v128_load(b[i].qs)),
                                    wasm_i16x8_extadd_pairwise_i8x16(wasm_v128_load(b[i].qs + 16)));
    const int32_t sum = hsum_i32(wasm_i32x4_extadd_pairwise_i16x8(s));
    b[i].s = quant::fp32_to_fp16(static_cast<float>(sum) * d);
  }
}

void from_float_q8_K(const float* x, void* y, int64_t n) noexcept {
  auto* b = static_cast<BlockQ8_K*>(y);
  for (int64_t i = 0; i < n / 256; ++i, x += 256) {
    v128_t amaxv = wasm_f32x4_splat(0.0f);
    for (int j = 0; j < 64; ++j) amaxv = wasm_f32x4_max(amaxv, wasm_f32x4_abs(wasm_v128_load(x + 4 * j)));
    const float amax = hmax_f32(amaxv);
    if (!(amax < INFINITY) || amax == 0.0f) {  // non-finite, or all zero (memset by the reference)
      quant::quantize_row_q8_K(x, &b[i], 256);
      continue;
    }
    // The signed value of the first element of largest magnitude.
    float max = 0;
    const v128_t am = wasm_f32x4_splat(amax);
    for (int j = 0; j < 64; ++j) {
      const int mask = wasm_i32x4_bitmask(wasm_f32x4_eq(wasm_f32x4_abs(wasm_v128_load(x + 4 * j)), am));
      if (mask) {
        max = x[4 * j + __builtin_ctz(static_cast<unsigned>(mask))];
        break;
      }
    }
    const float iscale = -127.f / max;
    if (!(std::fabs(iscale) < INFINITY)) {  // tiny max: the reference's int conversion of inf
      quant::quantize_row_q8_K(x, &b[i], 256);
      continue;
    }
    const v128_t is = wasm_f32x4_splat(iscale), lim = wasm_i32x4_splat(127);
    for (int j = 0; j < 16; ++j) {  // 16 quants (one bsum group) per step
      v128_t r[4];
      for (int k = 0; k < 4; ++k) {
        const v128_t q = wasm_f32x4_nearest(wasm_f32x4_mul(is, wasm_v128_load(x + 16 * j + 4 * k)));
        r[k] = wasm_i32x4_min(wasm_i32x4_trunc_sat_f32x4(q), lim);
      }
      wasm_v128_store(b[i].qs + 16 * j, narrow4(r[0], r[1], r[2], r[3]));
    }
    for (int j = 0; j < 16; j += 8) {  // bsums: groups j..j+7
      v128_t g[8];
      for (int k = 0; k < 8; ++k)
        g[k] =
            wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(wasm_v128_load(b[i].qs + 16 * (j + k))));
      const v128_t s = wasm_i16x8_narrow_i32x4(hsum4_i32(g[0], g[1], g[2], g[3]), hsum4_i32(g[4], g[5], g[6], g[7]));
      wasm_v128_store(b[i].bsums + j, s);
    }
    b[i].d = 1 / iscale;
  }
}

void from_float_f16(const float* x, void* y, int64_t n) noexcept {
  auto* h = static_cast<uint16_t*>(y);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    wasm_v128_store(h + i, pack_u16(f32x4_to_f16(wasm_v128_load(x + i)), f32x4_to_f16(wasm_v128_load(x + i + 4))));
  for (; i < n; ++i) h[i] = quant::fp32_to_fp16(x[i]);
}

void from_float_bf16(const float* x, void* y, int64_t n) noexcept {
  auto* h = static_cast<uint16_t*>(y);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t r[2];
    for (int k = 0; k < 2; ++k) {
      const v128_t b = wasm_v128_load(x + i + 4 * k);
      // Round to nearest even on the top 16 bits; NaN keeps its top bits with the quiet bit set.
      const v128_t odd = wasm_v128_and(wasm_u32x4_shr(b, 16), wasm_i32x4_splat(1));
      const v128_t rounded = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(b, wasm_i32x4_splat(0x7FFF)), odd), 16);
      const v128_t nan = wasm_v128_or(wasm_u32x4_shr(b, 16), wasm_i32x4_splat(0x40));
      const v128_t is_nan = wasm_u32x4_gt(wasm_v128_and(b, wasm_i32x4_splat(0x7FFFFFFF)), wasm_i32x4_splat(0x7F800000));
      r[k] = wasm_v128_bitselect(nan, rounded, is_nan);
    }
    wasm_v128_store(h + i, pack_u16(r[0], r[1]));
  }
  for (; i < n; ++i) h[i] = quant::fp32_to_bf16(x[i]);
}

void f16_to_f32_row(const uint16_t* x, float* y, int64_t n) noexcept {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t h = wasm_v128_load(x + i);
    wasm_v128_store(y + i, f16x8_lo(h));
    wasm_v128_store(y + i + 4, f16x8_hi(h));
  }
  for (; i < n; ++i) y[i] = quant::fp16_to_fp32(x[i]);
}

}  // namespace chord::kernels::simd128
