// Small inline wasm SIMD128 helpers shared by the simd128 and relaxed kernels: f16/bf16 widening,
// horizontal sums, unaligned typed loads, weight-unpacking pieces. Only included from
// kernels/simd128/*.cpp and kernels/relaxed/*.cpp (CHORD_SIMD128 builds).
#pragma once
#include <wasm_simd128.h>

#include <cstdint>
#include <cstring>

namespace chord::kernels::simd128 {

// Exact half -> float table (65536 entries, 256 KB, filled on first use from quant::fp16_to_fp32):
// four table loads beat the SIMD widening below when the halves are scattered (block scales).
const float* f16_table() noexcept;

// The four block scales at p, p + stride, p + 2 stride, p + 3 stride (bytes) as f32x4.
inline v128_t gather_f16x4(const float* table, const uint8_t* p, size_t stride);

// Widens the four IEEE halves in u16 lanes 0..3 of h to f32, exactly as quant::fp16_to_fp32 does
// (NaN payloads kept). Normal and subnormal halves: the 15 magnitude bits moved to the float's
// exponent/mantissa position give a float 2^-112 times too small (the exponent biases differ by
// 112), so one exact multiply by 2^112 fixes both. Inf/NaN (exponent 31) get exponent 255.
inline v128_t f16x4_to_f32(v128_t h) {
  const v128_t u = wasm_u32x4_extend_low_u16x8(h);
  const v128_t sign = wasm_i32x4_shl(wasm_v128_and(u, wasm_i32x4_splat(0x8000)), 16);
  const v128_t em = wasm_i32x4_shl(wasm_v128_and(u, wasm_i32x4_splat(0x7FFF)), 13);
  const v128_t scaled = wasm_f32x4_mul(em, wasm_f32x4_splat(0x1p112f));
  const v128_t infnan = wasm_i32x4_ge(em, wasm_i32x4_splat(0x0F800000));  // exponent field 31
  const v128_t special = wasm_v128_or(em, wasm_i32x4_splat(0x70000000));
  return wasm_v128_or(wasm_v128_bitselect(special, scaled, infnan), sign);
}

// f16x4_to_f32 of the low and high four halves of 8 u16 lanes.
inline v128_t f16x8_lo(v128_t h) { return f16x4_to_f32(h); }
inline v128_t f16x8_hi(v128_t h) { return f16x4_to_f32(wasm_i64x2_shuffle(h, h, 1, 1)); }

// Rounds four floats to halves exactly as quant::fp32_to_fp16 (nearest even, overflow -> inf,
// NaN -> sign | 0x7E00); results in the low 16 bits of each i32 lane. The float adder does the
// rounding: |x| is scaled so that adding 2^(e+13-24)-ish bias (bias exponent = max(e, -14) + 15 + 13
// positions above the half's last mantissa bit) leaves exactly the half's bits in the float's low bits.
inline v128_t f32x4_to_f16(v128_t x) {
  const v128_t w = x;
  const v128_t shl1 = wasm_i32x4_add(w, w);  // sign dropped, exponent in the top byte
  const v128_t sign = wasm_u32x4_shr(wasm_v128_and(w, wasm_i32x4_splat(static_cast<int32_t>(0x80000000u))), 16);
  // Overflowing values become inf through the first multiply; tiny ones become subnormal-exact.
  v128_t base =
      wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_abs(x), wasm_f32x4_splat(0x1p112f)), wasm_f32x4_splat(0x1p-110f));
  v128_t bias = wasm_v128_and(shl1, wasm_i32x4_splat(static_cast<int32_t>(0xFF000000u)));
  bias = wasm_u32x4_max(bias, wasm_i32x4_splat(0x71000000));  // exponents below -14 round as -14
  base = wasm_f32x4_add(wasm_i32x4_add(wasm_u32x4_shr(bias, 1), wasm_i32x4_splat(0x07800000)), base);
  const v128_t exp_bits = wasm_v128_and(wasm_u32x4_shr(base, 13), wasm_i32x4_splat(0x7C00));
  const v128_t mant_bits = wasm_v128_and(base, wasm_i32x4_splat(0x0FFF));
  const v128_t nonsign = wasm_i32x4_add(exp_bits, mant_bits);
  const v128_t is_nan = wasm_u32x4_gt(shl1, wasm_i32x4_splat(static_cast<int32_t>(0xFF000000u)));
  return wasm_v128_or(sign, wasm_v128_bitselect(wasm_i32x4_splat(0x7E00), nonsign, is_nan));
}

// Packs the low halves of two i32x4 (values 0..0xFFFF) into 8 u16 lanes: a's four, then b's.
inline v128_t pack_u16(v128_t a, v128_t b) { return wasm_i16x8_shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14); }

// bf16 in u16 lanes 0..3 (lo) / 4..7 (hi) to f32: the half is the float's top 16 bits.
inline v128_t bf16x8_lo(v128_t h) { return wasm_i32x4_shl(wasm_u32x4_extend_low_u16x8(h), 16); }
inline v128_t bf16x8_hi(v128_t h) { return wasm_i32x4_shl(wasm_u32x4_extend_high_u16x8(h), 16); }

// a * b + c: f32x4.relaxed_madd in relaxed-SIMD builds (fused where the engine fuses: one rounding
// instead of two, so never less accurate), else mul then add.
inline v128_t madd_f32(v128_t a, v128_t b, v128_t c) {
#ifdef CHORD_RELAXED_SIMD
  return wasm_f32x4_relaxed_madd(a, b, c);
#else
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
#endif
}

// [sum(s0), sum(s1), sum(s2), sum(s3)]: a 4x4 transpose folded into the adds.
inline v128_t hsum4_i32(v128_t s0, v128_t s1, v128_t s2, v128_t s3) {
  // a = [s0.0+s0.2, s1.0+s1.2, s0.1+s0.3, s1.1+s1.3]
  const v128_t a = wasm_i32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
  const v128_t b = wasm_i32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 1, 4, 5), wasm_i32x4_shuffle(a, b, 2, 3, 6, 7));
}

// [sum(s0), sum(s1), sum(s2), sum(s3)] of f32 vectors (each as (l0 + l2) + (l1 + l3)).
inline v128_t hsum4_f32(v128_t s0, v128_t s1, v128_t s2, v128_t s3) {
  const v128_t a = wasm_f32x4_add(wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7));
  const v128_t b = wasm_f32x4_add(wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 1, 4, 5), wasm_i32x4_shuffle(a, b, 2, 3, 6, 7));
}

inline int32_t hsum_i32(v128_t v) {
  const v128_t s = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  return wasm_i32x4_extract_lane(s, 0) + wasm_i32x4_extract_lane(s, 1);
}

// (v0 + v1) + (v2 + v3): a fixed pairwise order.
inline float hsum_f32(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

inline double hsum_f64(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

// acc (f64x2) += the four floats of v, widened exactly.
inline v128_t add_f32x4_to_f64(v128_t acc, v128_t v) {
  acc = wasm_f64x2_add(acc, wasm_f64x2_promote_low_f32x4(v));
  return wasm_f64x2_add(acc, wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 1)));
}

inline uint16_t load_u16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline v128_t gather_f16x4(const float* table, const uint8_t* p, size_t stride) {
  return wasm_f32x4_make(table[load_u16(p)], table[load_u16(p + stride)], table[load_u16(p + 2 * stride)],
                         table[load_u16(p + 3 * stride)]);
}

// Weight unpacking pieces shared by the SIMD128 and relaxed-SIMD kernels.

// 0x10 in byte j where bit j (lanes 0..15, half = 0) or bit j + 16 (half = 1) of qh is set.
inline v128_t qh_bits(uint32_t qh, int half) {
  const v128_t v = wasm_i32x4_splat(static_cast<int32_t>(qh));
  // Byte j of the result reads byte (2 half + j / 8) of qh; then test bit j % 8.
  const v128_t bytes = half == 0 ? wasm_i8x16_shuffle(v, v, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)
                                 : wasm_i8x16_shuffle(v, v, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const v128_t bit = wasm_u8x16_make(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
  const v128_t set = wasm_i8x16_eq(wasm_v128_and(bytes, bit), bit);
  return wasm_v128_and(set, wasm_i8x16_splat(0x10));
}

// 0xFF in byte l where (v[l] & bit) != 0.
inline v128_t bit_set(v128_t v, int bit) {
  const v128_t b = wasm_i8x16_splat(static_cast<int8_t>(1 << bit));
  return wasm_i8x16_eq(wasm_v128_and(v, b), b);
}

// The 8 scales and 8 mins (6 bits each, quant::scale_min_k4's layout in the 12 bytes at q) of a
// Q4_K/Q5_K super-block: scales to sc[0..7] as int16, mins as the pairs (m0, m0, m1, m1, ..) that
// the per-16 bsums dot wants. One vector holds scales (lanes 0-7) and mins (8-15) as bytes:
//   j < 4: q[j] & 63 | q[j + 4] & 63;  j >= 4: (q[j + 4] & 15) | (q[j - 4] >> 6) << 4 | (q[j + 4] >> 4) | (q[j] >> 6)
//   << 4.
inline void scales_mins_k4(const uint8_t* q, int16_t* sc, v128_t* mins_lo, v128_t* mins_hi) {
  const v128_t v = wasm_v128_load(q);  // 16 bytes: the 12 scale bytes and 4 of the block's next field
  const v128_t x = wasm_i8x16_shuffle(v, v, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
  const v128_t y = wasm_i8x16_shuffle(v, v, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7);
  const v128_t upper = wasm_i8x16_make(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1);
  const v128_t lo = wasm_v128_and(wasm_v128_bitselect(wasm_u8x16_shr(x, 4), x, upper),
                                  wasm_i8x16_make(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15));
  const v128_t hi = wasm_v128_and(wasm_i8x16_shl(wasm_u8x16_shr(y, 6), 4),
                                  wasm_i8x16_make(0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48));
  const v128_t r = wasm_v128_or(lo, hi);
  wasm_v128_store(sc, wasm_u16x8_extend_low_u8x16(r));
  const v128_t m = wasm_u16x8_extend_high_u8x16(r);
  *mins_lo = wasm_i16x8_shuffle(m, m, 0, 0, 1, 1, 2, 2, 3, 3);
  *mins_hi = wasm_i16x8_shuffle(m, m, 4, 4, 5, 5, 6, 6, 7, 7);
}

// Runs kernel.template operator()<NT>(rows, out) over n_act activation rows (a_stride bytes
// apart) four at a time, then the 3, 2 or 1 left: the multi-row dot products' tiling.
template <class Kernel>
inline void for_row_tiles(const void* a, uint64_t a_stride, int n_act, float* out, Kernel kernel) {
  const auto* ap = static_cast<const uint8_t*>(a);
  for (; n_act >= 4; n_act -= 4, ap += 4 * a_stride, out += 4) kernel.template operator()<4>(ap, out);
  switch (n_act) {
    case 3:
      kernel.template operator()<3>(ap, out);
      break;
    case 2:
      kernel.template operator()<2>(ap, out);
      break;
    case 1:
      kernel.template operator()<1>(ap, out);
      break;
    default:
      break;
  }
}

}  // namespace chord::kernels::simd128
